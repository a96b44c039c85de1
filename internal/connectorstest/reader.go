// Package connectorstest is an in-memory connectors.Reader for tests of
// what sits above the connectors (tools, chat, pages), standing in for
// their sealed storage; its sources record what confirmed proposals ask.
package connectorstest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"confidant/connectors"
	"confidant/store"
)

// Reader is an in-memory connectors.Reader: the outer edge of the
// package, standing in for the connectors' sealed storage.
type Reader struct {
	mu      sync.Mutex
	infos   map[uuid.UUID][]connectors.Info
	mail    []connectors.StoredMail
	events  []connectors.StoredEvent
	owner   map[uuid.UUID]uuid.UUID // connector id → user id
	sources map[uuid.UUID]*Source
	opens   int
	// OpenInfo, when set, replaces the Info that Open returns (a policy
	// narrowed after the proposal).
	OpenInfo func(connectors.Info) connectors.Info
}

// NewReader returns an empty Reader.
func NewReader() *Reader {
	return &Reader{infos: map[uuid.UUID][]connectors.Info{}, owner: map[uuid.UUID]uuid.UUID{}, sources: map[uuid.UUID]*Source{}}
}

// Connect adds an account of the user; caps, when given, narrow the
// policy of its kind.
func (r *Reader) Connect(userID uuid.UUID, kind connectors.Kind, name string, caps ...connectors.Capability) connectors.Info {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := connectors.Info{ID: uuid.New(), Kind: kind, Name: name, Capabilities: caps}
	r.infos[userID] = append(r.infos[userID], i)
	r.owner[i.ID] = userID
	r.sources[i.ID] = &Source{}
	return i
}

// AddMail stores a synced message of an account.
func (r *Reader) AddMail(connectorID uuid.UUID, m connectors.Mail) uuid.UUID {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := uuid.New()
	r.mail = append(r.mail, connectors.StoredMail{ID: id, ConnectorID: connectorID, Mail: m})
	return id
}

// AddEvent stores a synced occurrence of an account.
func (r *Reader) AddEvent(connectorID uuid.UUID, e connectors.Event) uuid.UUID {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := uuid.New()
	r.events = append(r.events, connectors.StoredEvent{ID: id, ConnectorID: connectorID, Event: e})
	return id
}

// Connected implements connectors.Reader.
func (r *Reader) Connected(_ context.Context, userID uuid.UUID) ([]connectors.Info, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.infos[userID]), nil
}

// SearchMail implements connectors.Reader.
func (r *Reader) SearchMail(_ context.Context, userID uuid.UUID, query string, limit int) ([]connectors.StoredMail, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []connectors.StoredMail
	q := strings.ToLower(query)
	for _, m := range r.mail {
		if r.owner[m.ConnectorID] != userID {
			continue
		}
		if strings.Contains(strings.ToLower(m.Subject+" "+m.From+" "+m.Text), q) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b connectors.StoredMail) int { return b.Date.Compare(a.Date) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Mail implements connectors.Reader.
func (r *Reader) Mail(_ context.Context, userID, mailID uuid.UUID) (connectors.StoredMail, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.mail {
		if m.ID == mailID && r.owner[m.ConnectorID] == userID {
			return m, nil
		}
	}
	return connectors.StoredMail{}, store.ErrNotFound
}

// Events implements connectors.Reader.
func (r *Reader) Events(_ context.Context, userID uuid.UUID, from, to time.Time) ([]connectors.StoredEvent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []connectors.StoredEvent
	for _, e := range r.events {
		if r.owner[e.ConnectorID] == userID && e.End.After(from) && e.Start.Before(to) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Open implements connectors.Reader, counting the calls: Open is what
// would reach the account's server.
func (r *Reader) Open(_ context.Context, userID, connectorID uuid.UUID) (connectors.Source, connectors.Info, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.opens++
	if r.owner[connectorID] != userID {
		return nil, connectors.Info{}, store.ErrNotFound
	}
	for _, i := range r.infos[userID] {
		if i.ID == connectorID {
			if r.OpenInfo != nil {
				i = r.OpenInfo(i)
			}
			return r.sources[connectorID], i, nil
		}
	}
	return nil, connectors.Info{}, store.ErrNotFound
}

// SourceOf returns the source of an account.
func (r *Reader) SourceOf(connectorID uuid.UUID) *Source {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sources[connectorID]
}

// Opens counts the calls of Open so far.
func (r *Reader) Opens() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.opens
}

// Source records what confirmed proposals asked of it.
type Source struct {
	mu     sync.Mutex
	fail   error // returned by the next SaveDraft or CreateEvent
	drafts []connectors.Draft
	events []connectors.Event
}

// Sync implements connectors.Source; it finds nothing.
func (s *Source) Sync(context.Context, []byte, connectors.Sink) error { return nil }

// SaveDraft implements connectors.DraftSaver.
func (s *Source) SaveDraft(_ context.Context, d connectors.Draft) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail; err != nil {
		s.fail = nil
		return "", err
	}
	s.drafts = append(s.drafts, d)
	return "Drafts/1", nil
}

// CreateEvent implements connectors.EventCreator.
func (s *Source) CreateEvent(_ context.Context, e connectors.Event) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail; err != nil {
		s.fail = nil
		return "", err
	}
	s.events = append(s.events, e)
	return "cal/1.ics", nil
}

// FailNext makes the next SaveDraft or CreateEvent fail with err.
func (s *Source) FailNext(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

// Drafts returns the drafts saved so far.
func (s *Source) Drafts() []connectors.Draft {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.drafts)
}

// Events returns the events created so far.
func (s *Source) Events() []connectors.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// Count is how many drafts and events were made.
func (s *Source) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.drafts) + len(s.events)
}
