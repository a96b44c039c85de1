// Package bundle reads and writes Confidant's account export format: a tar
// stream of a manifest, JSON Lines records, original files and a checksum
// trailer, optionally wrapped in age encryption (docs/bundle-format.md).
package bundle

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
)

// FormatName and Version identify the format in manifest.json.
const (
	FormatName = "confidant-bundle"
	Version    = 1
)

// Entry names that are not record parts.
const (
	ManifestName  = "manifest.json"
	SettingsName  = "settings.json"
	ChecksumsName = "checksums.json"
	documentsDir  = "documents/"
)

// Sentinel errors a Reader returns, wrapped with the entry they concern;
// check them with errors.Is.
var (
	// ErrWrongPassphrase: the bundle is age-encrypted and neither the
	// passphrase nor any identity given opens it.
	ErrWrongPassphrase = errors.New("bundle: the passphrase or identity does not open this bundle")
	// ErrNotBundle: the input is not an age file or not a Confidant bundle.
	ErrNotBundle = errors.New("bundle: not a Confidant bundle")
	// ErrUnsupportedVersion: a bundle of a format version this reader does not know.
	ErrUnsupportedVersion = errors.New("bundle: unsupported format version")
	// ErrTruncated: the bundle ends before its checksum trailer.
	ErrTruncated = errors.New("bundle: the bundle ends early")
	// ErrCorrupt: the bytes fail authentication, a record does not parse,
	// or the entries are out of order.
	ErrCorrupt = errors.New("bundle: the bundle is damaged")
	// ErrChecksum: an entry's SHA-256, size or record count differs from
	// the trailer's.
	ErrChecksum = errors.New("bundle: checksum mismatch")
	// ErrUnsafeEntry: an entry name that is not one the format defines
	// (a path outside the bundle, a link, a device, an unknown file).
	ErrUnsafeEntry = errors.New("bundle: unexpected or unsafe entry")
	// ErrTooLarge: an entry, a record or the whole bundle is over its limit.
	ErrTooLarge = errors.New("bundle: over the size limit")
	// ErrTooManyEntries: more entries than the limit allows.
	ErrTooManyEntries = errors.New("bundle: too many entries")
)

// Manifest is manifest.json, the bundle's first entry.
type Manifest struct {
	Format    string    `json:"format"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	Source    Source    `json:"source"`
	User      User      `json:"user"`
	// ConnectorCredentials reports whether connectors.jsonl carries
	// passwords and tokens (only when the user opted in).
	ConnectorCredentials bool `json:"connector_credentials"`
}

// Source names the Confidant that wrote the bundle.
type Source struct {
	Origin  string `json:"origin"`
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// User is the account the bundle holds.
type User struct {
	ID          uuid.UUID `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	CreatedAt   time.Time `json:"created_at"`
}

// Kind names a record type; each kind's records live in parts named
// "<kind>-NNNNNN.jsonl".
type Kind string

// Record kinds, in the order an exporter writes them.
const (
	KindConversation Kind = "conversations"
	KindMessage      Kind = "messages"
	KindMemory       Kind = "memories"
	KindCollection   Kind = "collections"
	KindDocument     Kind = "documents"
	KindChunk        Kind = "document_chunks"
	KindAPIKey       Kind = "api_keys"
	KindConnector    Kind = "connectors"
	KindPasskey      Kind = "passkeys"
)

// Kinds lists every record kind a version 1 bundle may hold.
var Kinds = []Kind{KindConversation, KindMessage, KindMemory, KindCollection, KindDocument, KindChunk, KindAPIKey, KindConnector, KindPasskey}

func knownKind(k Kind) bool {
	for _, known := range Kinds {
		if k == known {
			return true
		}
	}
	return false
}

// Conversation is one line of conversations-*.jsonl.
type Conversation struct {
	ID          uuid.UUID  `json:"id"`
	Title       string     `json:"title"`
	Model       string     `json:"model"`
	Pinned      bool       `json:"pinned"`
	Archived    bool       `json:"archived"`
	Temporary   bool       `json:"temporary"`
	CurrentLeaf *uuid.UUID `json:"current_leaf,omitempty"`
	// Documents is the conversation's document scope: "" none, "all",
	// a document id or "collection:<id>".
	Documents string    `json:"documents,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Message is one line of messages-*.jsonl. Messages of a conversation come
// after the conversation, and a message after its parent.
type Message struct {
	ID             uuid.UUID     `json:"id"`
	ConversationID uuid.UUID     `json:"conversation_id"`
	ParentID       *uuid.UUID    `json:"parent_id,omitempty"`
	Role           string        `json:"role"`
	Content        string        `json:"content"`
	Model          string        `json:"model,omitempty"`
	State          string        `json:"state"`
	ErrorCode      string        `json:"error_code,omitempty"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
	Verification   *Verification `json:"verification,omitempty"`
	// SignedText is the "sha256(request):sha256(response)" text an
	// OpenAI-compatible completion was signed over, when there was one.
	SignedText string `json:"signed_text,omitempty"`
	// MemoryIDs are the memories the answer was given.
	MemoryIDs []uuid.UUID `json:"memory_ids,omitempty"`
}

// Verification is the verdict on an answer: the backend that wrote it,
// its signature, and the outcome of checking it against the backend's
// attested signing address.
type Verification struct {
	State            string            `json:"state"` // green | amber | red
	Reason           string            `json:"reason,omitempty"`
	Backend          string            `json:"backend,omitempty"`
	SigningAddress   string            `json:"signing_address,omitempty"`
	SigningAlgo      string            `json:"signing_algo,omitempty"`
	Signature        string            `json:"signature,omitempty"`
	Text             string            `json:"text,omitempty"`
	CheckedAt        time.Time         `json:"checked_at"`
	ReportVerifiedAt time.Time         `json:"report_verified_at"`
	ReportState      string            `json:"report_state,omitempty"`
	ReportChecks     []ReportCheck     `json:"report_checks,omitempty"`
	ReportFacts      map[string]string `json:"report_facts,omitempty"`
	Simulated        bool              `json:"simulated,omitempty"`
}

// ReportCheck is one check of a backend's attestation.
type ReportCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// Memory is one line of memories-*.jsonl. Embeddings are not exported: an
// importer computes them again.
type Memory struct {
	ID                   uuid.UUID  `json:"id"`
	Text                 string     `json:"text"`
	Kind                 string     `json:"kind"` // explicit | automatic | manual
	SourceConversationID *uuid.UUID `json:"source_conversation_id,omitempty"`
	SourceMessageID      *uuid.UUID `json:"source_message_id,omitempty"`
	CreatedAt            time.Time  `json:"created_at"`
	UpdatedAt            time.Time  `json:"updated_at"`
	LastUsedAt           *time.Time `json:"last_used_at,omitempty"`
}

// Collection is one line of collections-*.jsonl.
type Collection struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Document is one line of documents-*.jsonl. When File is set, the
// original bytes follow later in the entry of that name
// ("documents/<id>"). Confidant keeps an original only until it is
// ingested; an ingested document's text is in its Chunks.
type Document struct {
	ID           uuid.UUID  `json:"id"`
	Name         string     `json:"name"`
	Kind         string     `json:"kind"`
	SizeBytes    int64      `json:"size_bytes"`
	Status       string     `json:"status"`
	ErrorCode    string     `json:"error_code,omitempty"`
	CollectionID *uuid.UUID `json:"collection_id,omitempty"`
	File         string     `json:"file,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Chunk is one line of document_chunks-*.jsonl: a passage of an ingested
// document as it is searched, in order. Passages of one section overlap by
// a few words. Embeddings are not exported: an importer computes them again.
type Chunk struct {
	ID         uuid.UUID `json:"id"`
	DocumentID uuid.UUID `json:"document_id"`
	Ordinal    int       `json:"ordinal"`
	Heading    string    `json:"heading,omitempty"`
	Text       string    `json:"text"`
}

// DocumentFileName is the entry name of a document's original bytes.
func DocumentFileName(id uuid.UUID) string { return documentsDir + id.String() }

// Settings is settings.json.
type Settings struct {
	Instructions string    `json:"instructions"`
	MemoryPaused bool      `json:"memory_paused"`
	UpdatedAt    time.Time `json:"updated_at,omitzero"`
}

// APIKey is one line of api_keys-*.jsonl: never the secret or its hash.
type APIKey struct {
	ID         uuid.UUID  `json:"id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Connector is one line of connectors-*.jsonl. Credentials (passwords,
// tokens) are present only when Manifest.ConnectorCredentials is true.
type Connector struct {
	ID          uuid.UUID       `json:"id"`
	Kind        string          `json:"kind"`
	Name        string          `json:"name,omitempty"`
	Settings    json.RawMessage `json:"settings,omitempty"`
	Credentials json.RawMessage `json:"credentials,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
}

// Passkey is one line of passkeys-*.jsonl: the public half of a WebAuthn
// credential. Byte fields are standard base64 in JSON.
type Passkey struct {
	ID              uuid.UUID  `json:"id"`
	Name            string     `json:"name"`
	CredentialID    []byte     `json:"credential_id"`
	PublicKey       []byte     `json:"public_key"`
	AttestationType string     `json:"attestation_type,omitempty"`
	AAGUID          []byte     `json:"aaguid,omitempty"`
	Transports      []string   `json:"transports,omitempty"`
	SignCount       uint32     `json:"sign_count"`
	BackupEligible  bool       `json:"backup_eligible"`
	BackupState     bool       `json:"backup_state"`
	CreatedAt       time.Time  `json:"created_at"`
	LastUsedAt      *time.Time `json:"last_used_at,omitempty"`
}

// Checksums is checksums.json, the bundle's last entry: every other
// entry's size, SHA-256 and, for record parts, its record count.
type Checksums struct {
	Files []FileSum `json:"files"`
	// Records totals the records of each kind.
	Records map[Kind]int64 `json:"records"`
}

// FileSum describes one entry of the bundle.
type FileSum struct {
	Name    string `json:"name"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`
	Records int64  `json:"records,omitempty"`
}
