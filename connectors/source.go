// Package connectors links a user's mail and calendar accounts to Confidant:
// it syncs them into sealed storage on River jobs, indexes them for
// retrieval, and exposes them to the assistant only through tools whose
// capabilities are enforced here, in code.
//
// This file is the contract between the protocol packages (connectors/imap,
// connectors/caldav, connectors/google, connectors/graph) and the rest of
// the app: a Source reads a remote account from a cursor and hands what it
// found to a Sink in batches. The Sink commits each batch's items together
// with the cursor that follows them, so a sync cut off anywhere resumes
// where the last batch ended, and nothing is stored twice.
package connectors

import (
	"context"
	"net"
	"time"

	"github.com/google/uuid"
)

// Kind names a connector type. The strings are part of the JSON API.
type Kind string

const (
	KindIMAP      Kind = "imap"
	KindCalDAV    Kind = "caldav"
	KindGmail     Kind = "google"
	KindMicrosoft Kind = "microsoft"
)

// Capability is one thing a connector may let the assistant do. The tool
// layer refuses any call whose capability the connector does not declare.
type Capability string

const (
	CapRead    Capability = "read"    // search and read synced items
	CapPropose Capability = "propose" // draft a reply or an event for the user to confirm
	CapSend    Capability = "send"    // send mail (only after the user's click)
	CapDelete  Capability = "delete"  // delete remote items (only after the user's click)
)

// Dialer opens network connections for a Source. The app passes one that
// refuses loopback, private and link-local addresses unless the enclave is
// simulated; protocol packages must dial only through it (for HTTP, set it
// as the Transport's DialContext).
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// Mail is one message as synced: headers decoded, body turned into plain
// text (HTML sanitized to text), attachments listed but not stored.
type Mail struct {
	// Resource identifies the message within its connector and is stable
	// across syncs, e.g. "INBOX/<uidvalidity>/<uid>" or a Gmail message id.
	Resource    string
	Folder      string
	MessageID   string // the Message-ID header, without angle brackets
	From        string // "Name <addr>" as decoded
	To          []string
	Cc          []string
	Subject     string
	Date        time.Time
	Text        string // plain text body, UTF-8, at most a bounded size
	Attachments []Attachment
	Size        int64 // the raw message's size in bytes
	Flags       []string
}

// Attachment names a file attached to a message; its bytes are not synced.
type Attachment struct {
	Name        string
	ContentType string
	Size        int64
}

// Event is one occurrence of a calendar event. A recurring event yields one
// Event per occurrence inside the sync window, all with the same Resource.
type Event struct {
	// Resource identifies the calendar object the occurrence comes from
	// (a CalDAV href, a Google or Graph event id). A batch that carries
	// any Event of a Resource replaces every stored occurrence of it.
	Resource    string
	Calendar    string
	UID         string
	Summary     string
	Description string
	Location    string
	Start       time.Time // UTC
	End         time.Time // UTC
	AllDay      bool
	TimeZone    string // the event's own zone, e.g. "Europe/Berlin"; "" for UTC or floating
	Recurring   bool
	Organizer   string
	Attendees   []string
}

// Progress says how far a sync has come; Total is 0 when unknown.
type Progress struct {
	Done  int
	Total int
}

// Batch is what a Source found since the previous batch.
type Batch struct {
	Mail   []Mail
	Events []Event
	// Removed lists resources gone on the server: the Sink deletes every
	// stored item with one of these resources.
	Removed []string
	// Reset says the Source starts over: every item stored for this
	// connector before this batch that neither this batch nor a later one
	// of this sync re-emits is deleted when the sync completes (Sync
	// returns nil). A Source sets it on the first batch of a full listing
	// that replaces incremental state it lost.
	Reset bool
	// Cursor is where the next sync resumes, committed with the items.
	// It is opaque to everyone but the Source that wrote it.
	Cursor   []byte
	Progress Progress
}

// Sink receives batches and commits each one, items and cursor together.
// An error stops the sync; the Source returns it.
type Sink interface {
	Apply(ctx context.Context, b Batch) error
}

// Source reads one remote account. Sync starts from cursor (nil for a
// first full sync), hands batches to sink in order and returns when the
// account is caught up. Errors that a person can act on are *Error.
type Source interface {
	Sync(ctx context.Context, cursor []byte, sink Sink) error
}

// Error is a sync failure with a message a person understands, shown as
// the connector's status. Code is stable for tests and the API.
type Error struct {
	Code    string // e.g. "auth_failed", "unreachable", "tls", "rate_limited", "server"
	Message string // e.g. "The server refused the user name or password."
	Err     error  // the underlying error, for logs; never user content
	// Retry says whether trying again later may help (a dropped
	// connection) or not without the user's action (a wrong password).
	Retry bool
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Security is how a mail connection is protected. The strings are part of
// the JSON API.
type Security string

const (
	SecurityTLS      Security = "tls"      // TLS from the first byte (IMAPS, port 993)
	SecuritySTARTTLS Security = "starttls" // plain connect, then STARTTLS before login
	SecurityNone     Security = "none"     // plain text: only to loopback
)

// Settings is what the user gave to connect an account, sealed at rest.
// IMAP uses Host, Port, Security, Username and Password; CalDAV uses URL,
// Username and Password; OAuth kinds use the token fields.
type Settings struct {
	Kind     Kind     `json:"kind"`
	Host     string   `json:"host,omitempty"`
	Port     int      `json:"port,omitempty"`
	Security Security `json:"security,omitempty"`
	URL      string   `json:"url,omitempty"`
	Username string   `json:"username,omitempty"`
	Password string   `json:"password,omitempty"`

	// OAuth (google, microsoft): tokens from the authorization code flow.
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenExpiry  time.Time `json:"token_expiry,omitzero"`
	Account      string    `json:"account,omitempty"` // the signed-in address, for display
}

// SourceFactory builds a Source for one connector from its settings. Each
// protocol package offers one (imap.New, caldav.New, …); the app wires them
// by Kind in one place. dial is the guarded Dialer; tokens, when the
// source refreshes OAuth tokens, reports the new ones so they are sealed.
type SourceFactory func(s Settings, dial Dialer, tokens TokenSaver) (Source, error)

// TokenSaver stores refreshed OAuth tokens; protocol packages without
// tokens ignore it.
type TokenSaver func(ctx context.Context, s Settings) error

// Draft is a mail the assistant proposed and the user confirmed; saving it
// puts it in the account's drafts, it is never sent by the assistant.
type Draft struct {
	To        []string
	Cc        []string
	Subject   string
	Text      string
	InReplyTo string // Message-ID of the message replied to, without angle brackets
}

// DraftSaver is implemented by sources that can store a confirmed draft
// (IMAP APPEND to the drafts folder, Gmail drafts, Graph drafts).
type DraftSaver interface {
	SaveDraft(ctx context.Context, d Draft) (resource string, err error)
}

// EventCreator is implemented by sources that can create a confirmed event
// (CalDAV PUT, Google Calendar insert, Graph event create).
type EventCreator interface {
	CreateEvent(ctx context.Context, e Event) (resource string, err error)
}

// Info describes one connected account to the tools and the pages.
type Info struct {
	ID           uuid.UUID
	Kind         Kind
	Name         string // e.g. "alice@example.org on imap.example.org"
	Capabilities []Capability
}

// StoredMail is a synced message as kept for its user.
type StoredMail struct {
	ID          uuid.UUID
	ConnectorID uuid.UUID
	Mail
}

// StoredEvent is a synced occurrence as kept for its user.
type StoredEvent struct {
	ID          uuid.UUID
	ConnectorID uuid.UUID
	Event
}

// Reader is what the assistant's tools may read. Every method is scoped
// to userID: another user's connector or item is store.ErrNotFound.
type Reader interface {
	Connected(ctx context.Context, userID uuid.UUID) ([]Info, error)
	SearchMail(ctx context.Context, userID uuid.UUID, query string, limit int) ([]StoredMail, error)
	Mail(ctx context.Context, userID, mailID uuid.UUID) (StoredMail, error)
	// Events returns the occurrences overlapping [from, to), by start.
	Events(ctx context.Context, userID uuid.UUID, from, to time.Time) ([]StoredEvent, error)
	// Open builds the Source of one of the user's connectors, to carry out
	// a confirmed proposal through DraftSaver or EventCreator.
	Open(ctx context.Context, userID, connectorID uuid.UUID) (Source, Info, error)
}

// capabilities is the policy: what each kind of connector lets the
// assistant do. It is code, part of the measured image, and the tool layer
// enforces it; /attestation and the connections page list it. Sending and
// deleting are declared by no connector: the assistant can read and
// propose, and a proposal takes effect only when the user confirms it.
var capabilities = map[Kind][]Capability{
	KindIMAP:      {CapRead, CapPropose},
	KindCalDAV:    {CapRead, CapPropose},
	KindGmail:     {CapRead, CapPropose},
	KindMicrosoft: {CapRead, CapPropose},
}

// Kinds lists the connector kinds, in the order pages show them.
func Kinds() []Kind { return []Kind{KindIMAP, KindCalDAV, KindGmail, KindMicrosoft} }

// CapabilitiesOf returns what a kind of connector allows; nil for an
// unknown kind.
func CapabilitiesOf(k Kind) []Capability {
	return append([]Capability(nil), capabilities[k]...)
}

// Allows reports whether a kind of connector declares capability c.
func Allows(k Kind, c Capability) bool {
	for _, have := range capabilities[k] {
		if have == c {
			return true
		}
	}
	return false
}

// Revoker is implemented by sources whose credentials can be revoked at
// the provider (OAuth tokens). Disconnect calls it before deleting them.
type Revoker interface {
	Revoke(ctx context.Context) error
}
