package tools_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/connectors"
	"confidant/internal/testdb"
	"confidant/store"
)

// memReader is an in-memory connectors.Reader: the outer edge of the
// package, standing in for the connectors' sealed storage.
type memReader struct {
	mu      sync.Mutex
	infos   map[uuid.UUID][]connectors.Info
	mail    []connectors.StoredMail
	events  []connectors.StoredEvent
	owner   map[uuid.UUID]uuid.UUID // connector id → user id
	sources map[uuid.UUID]*recordingSource
	// openInfo, when set, replaces the Info that Open returns (a policy
	// narrowed after the proposal).
	openInfo func(connectors.Info) connectors.Info
}

func newMemReader() *memReader {
	return &memReader{infos: map[uuid.UUID][]connectors.Info{}, owner: map[uuid.UUID]uuid.UUID{}, sources: map[uuid.UUID]*recordingSource{}}
}

func (r *memReader) connect(userID uuid.UUID, kind connectors.Kind, name string, caps ...connectors.Capability) connectors.Info {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := connectors.Info{ID: uuid.New(), Kind: kind, Name: name, Capabilities: caps}
	r.infos[userID] = append(r.infos[userID], i)
	r.owner[i.ID] = userID
	r.sources[i.ID] = &recordingSource{}
	return i
}

func (r *memReader) addMail(connectorID uuid.UUID, m connectors.Mail) uuid.UUID {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := uuid.New()
	r.mail = append(r.mail, connectors.StoredMail{ID: id, ConnectorID: connectorID, Mail: m})
	return id
}

func (r *memReader) addEvent(connectorID uuid.UUID, e connectors.Event) uuid.UUID {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := uuid.New()
	r.events = append(r.events, connectors.StoredEvent{ID: id, ConnectorID: connectorID, Event: e})
	return id
}

func (r *memReader) Connected(_ context.Context, userID uuid.UUID) ([]connectors.Info, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.infos[userID]), nil
}

func (r *memReader) SearchMail(_ context.Context, userID uuid.UUID, query string, limit int) ([]connectors.StoredMail, error) {
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

func (r *memReader) Mail(_ context.Context, userID, mailID uuid.UUID) (connectors.StoredMail, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.mail {
		if m.ID == mailID && r.owner[m.ConnectorID] == userID {
			return m, nil
		}
	}
	return connectors.StoredMail{}, store.ErrNotFound
}

func (r *memReader) Events(_ context.Context, userID uuid.UUID, from, to time.Time) ([]connectors.StoredEvent, error) {
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

func (r *memReader) Open(_ context.Context, userID, connectorID uuid.UUID) (connectors.Source, connectors.Info, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.owner[connectorID] != userID {
		return nil, connectors.Info{}, store.ErrNotFound
	}
	for _, i := range r.infos[userID] {
		if i.ID == connectorID {
			if r.openInfo != nil {
				i = r.openInfo(i)
			}
			return r.sources[connectorID], i, nil
		}
	}
	return nil, connectors.Info{}, store.ErrNotFound
}

// recordingSource records what confirmed proposals asked of it.
type recordingSource struct {
	mu     sync.Mutex
	drafts []connectors.Draft
	events []connectors.Event
}

func (s *recordingSource) Sync(context.Context, []byte, connectors.Sink) error { return nil }

func (s *recordingSource) SaveDraft(_ context.Context, d connectors.Draft) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drafts = append(s.drafts, d)
	return "Drafts/1", nil
}

func (s *recordingSource) CreateEvent(_ context.Context, e connectors.Event) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
	return "cal/1.ics", nil
}

func (s *recordingSource) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.drafts) + len(s.events)
}

// answerFor makes a user with a conversation and an answer, for proposals
// to belong to.
func answerFor(t *testing.T, st *store.Store, name string) (userID, messageID uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	userID = uuid.New()
	if err := st.CreateUser(ctx, store.User{ID: userID, Username: name, DisplayName: name, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	convID, userMsg, answer := uuid.New(), uuid.New(), uuid.New()
	conv := store.Conversation{ID: convID, UserID: userID, Model: "sim-chat", CreatedAt: now}
	start := store.AnswerStart{UserID: userID, ConversationID: convID, NewConversation: &conv, Now: now,
		Turns:  []store.Message{{ID: userMsg, ConversationID: convID, UserID: userID, Role: store.RoleUser, Content: "hi", Status: store.StatusComplete, CreatedAt: now}},
		Answer: store.Message{ID: answer, ConversationID: convID, UserID: userID, ParentID: &userMsg, Role: store.RoleAssistant, Status: store.StatusStreaming, CreatedAt: now}}
	if _, err := st.StartAnswer(ctx, start); err != nil {
		t.Fatal(err)
	}
	return userID, answer
}

func newStore(t *testing.T) *store.Store { return testdb.NewStore(t) }
