package graph_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"confidant/connectors"
	"confidant/connectors/graph"
	"confidant/internal/fakegraph"
	"confidant/internal/oauthtest"
)

type harness struct {
	f      *fakegraph.Server
	opts   graph.Options
	src    *graph.Source
	sink   *oauthtest.Sink
	saved  []connectors.Settings
	sleeps []time.Duration
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{f: fakegraph.New(t, "alice@contoso.example"), sink: oauthtest.NewSink()}
	h.opts = graph.Options{ClientID: fakegraph.ClientID, ClientSecret: fakegraph.ClientSecret, BaseURL: h.f.URL, PageSize: 2,
		Sleep: func(_ context.Context, d time.Duration) error { h.sleeps = append(h.sleeps, d); return nil }}

	authURL, s := oauthtest.Connect(t, graph.Provider(h.opts))
	if u, _ := url.Parse(authURL); !strings.HasPrefix(u.Path, "/common/oauth2/v2.0/authorize") || !strings.Contains(u.Query().Get("scope"), "offline_access") {
		t.Fatalf("authorize URL %q", authURL)
	}
	if s.Account != "alice@contoso.example" || s.RefreshToken == "" {
		t.Fatalf("settings: account %q", s.Account)
	}
	src, err := graph.Factory(h.opts)(s, nil, func(_ context.Context, s connectors.Settings) error { h.saved = append(h.saved, s); return nil })
	if err != nil {
		t.Fatal(err)
	}
	h.src = src.(*graph.Source)
	return h
}

func (h *harness) sync(t *testing.T) {
	t.Helper()
	if err := h.src.Sync(context.Background(), h.sink.Cursor, h.sink); err != nil {
		t.Fatalf("sync: %v", err)
	}
	h.sink.Completed()
}

func TestMailDelta(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	first := h.f.AddMessage(fakegraph.Message{Subject: "Quarterly plan", From: "bob@contoso.example", To: []string{"alice@contoso.example"},
		HTML: "<html><body><p>Draft attached.</p><script>x()</script><p>Comments by Friday</p></body></html>"})
	lunch := h.f.AddMessage(fakegraph.Message{Subject: "Lunch", From: "carol@contoso.example", Text: "Noon?",
		Attachments: []fakegraph.Attachment{{Name: "menu.pdf", ContentType: "application/pdf", Size: 5120}}})
	h.f.AddMessage(fakegraph.Message{Subject: "Badge", From: "it@contoso.example", Text: "Pick it up"})

	h.sync(t)
	if got := h.sink.Subjects(); !slices.Equal(got, []string{"Badge", "Lunch", "Quarterly plan"}) {
		t.Fatalf("after the first round: %q", got)
	}
	if h.sink.Batches < 2 {
		t.Errorf("%d batches: the nextLink was not followed page by page", h.sink.Batches)
	}
	m := h.sink.Mail[first]
	if m.Text != "Draft attached.\nComments by Friday" || m.From != "bob <bob@contoso.example>" || len(m.To) != 1 || m.Folder != "Inbox" || m.MessageID == "" || m.Date.IsZero() {
		t.Errorf("message = %+v", m)
	}
	if a := h.sink.Mail[lunch].Attachments; len(a) != 1 || a[0] != (connectors.Attachment{Name: "menu.pdf", ContentType: "application/pdf", Size: 5120}) ||
		len(m.Attachments) != 0 {
		t.Errorf("attachments = %+v", a)
	}

	deltas := h.f.Requests("GET /v1.0/me/mailFolders/inbox/messages/delta")
	h.f.DeleteMessage(first)
	h.f.AddMessage(fakegraph.Message{Subject: "New", From: "dan@contoso.example", Text: "Hi"})
	h.sync(t)
	if got := h.sink.Subjects(); !slices.Equal(got, []string{"Badge", "Lunch", "New"}) {
		t.Fatalf("after the delta round: %q", got)
	}
	if n := h.f.Requests("GET /v1.0/me/mailFolders/inbox/messages/delta") - deltas; n != 1 {
		t.Errorf("the delta round took %d requests, want 1 (only the changes)", n)
	}

	// An invalid delta token (410): a full round again.
	h.f.InvalidateDeltaTokens()
	h.f.AddMessage(fakegraph.Message{Subject: "After reset", From: "dan@contoso.example", Text: "Hi"})
	h.sync(t)
	if len(h.sink.Mail) != 4 {
		t.Fatalf("after the 410: %q", h.sink.Subjects())
	}
}

func TestCalendarDelta(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	now := time.Now().UTC().Truncate(time.Hour)
	review := h.f.AddEvent(fakegraph.Event{Subject: "Review", Start: now.Add(2 * time.Hour), End: now.Add(3 * time.Hour), Type: "occurrence"})
	offsite := h.f.AddEvent(fakegraph.Event{Subject: "Offsite", Start: now.Add(48 * time.Hour).Truncate(24 * time.Hour), End: now.Add(72 * time.Hour).Truncate(24 * time.Hour), AllDay: true})
	h.f.AddEvent(fakegraph.Event{Subject: "Old", Start: now.AddDate(-1, 0, 0), End: now.AddDate(-1, 0, 0).Add(time.Hour)})

	h.sync(t)
	if len(h.sink.Events) != 2 {
		t.Fatalf("events: %+v", h.sink.Events)
	}
	if r := h.sink.Events[review]; !r.Start.Equal(now.Add(2*time.Hour)) || !r.End.Equal(now.Add(3*time.Hour)) || !r.Recurring || r.UID == "" || r.Organizer != "alice@contoso.example" {
		t.Errorf("review = %+v", r)
	}
	if o := h.sink.Events[offsite]; !o.AllDay {
		t.Errorf("offsite = %+v", o)
	}
	h.f.DeleteEvent(offsite)
	h.f.AddEvent(fakegraph.Event{ID: review, Subject: "Review (moved)", Start: now.Add(4 * time.Hour), End: now.Add(5 * time.Hour)})
	h.sync(t)
	if _, ok := h.sink.Events[offsite]; ok || h.sink.Events[review].Summary != "Review (moved)" || len(h.sink.Events) != 1 {
		t.Fatalf("after delta: %+v", h.sink.Events)
	}
}

func TestResumeAfterFailedBatch(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		h.f.AddMessage(fakegraph.Message{Subject: s, From: "x@contoso.example", Text: s})
	}
	h.sink.FailAt = 2
	if err := h.src.Sync(context.Background(), nil, h.sink); !errors.Is(err, oauthtest.ErrSinkDown) {
		t.Fatalf("sync: %v", err)
	}
	h.sink.FailAt = 0
	before := h.f.Requests("GET /v1.0/me/mailFolders/inbox/messages/delta")
	h.sync(t)
	if got := h.sink.Subjects(); !slices.Equal(got, []string{"a", "b", "c", "d", "e"}) {
		t.Fatalf("after resuming: %q", got)
	}
	if n := h.f.Requests("GET /v1.0/me/mailFolders/inbox/messages/delta") - before; n != 2 {
		t.Errorf("resuming took %d pages, want 2 (from the committed nextLink)", n)
	}
}

func TestThrottlingAndTokens(t *testing.T) {
	t.Parallel()
	t.Run("429 waited out", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.f.AddMessage(fakegraph.Message{Subject: "one", From: "x@contoso.example", Text: "1"})
		h.f.RateLimit(2)
		h.sync(t)
		if len(h.sink.Mail) != 1 || !slices.Equal(h.sleeps, []time.Duration{time.Second, time.Second}) {
			t.Errorf("mail %d, waits %v", len(h.sink.Mail), h.sleeps)
		}
	})
	t.Run("429 persisting is rate_limited", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.f.RateLimit(100)
		err := h.src.Sync(context.Background(), nil, h.sink)
		var ce *connectors.Error
		if !errors.As(err, &ce) || ce.Code != "rate_limited" || !ce.Retry {
			t.Fatalf("sync: %v", err)
		}
	})
	t.Run("expired token refreshed, rotated refresh token saved", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		old := h.src.Settings().RefreshToken
		h.f.OAuth.ExpireAccessTokens()
		h.sync(t)
		if len(h.saved) != 1 || h.saved[0].RefreshToken == old || h.f.OAuth.RefreshLive(old) || !h.f.OAuth.RefreshLive(h.saved[0].RefreshToken) {
			t.Fatalf("saved %d token sets; the rotated refresh token must be saved", len(h.saved))
		}
	})
	t.Run("revoked grant is auth_failed", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.f.OAuth.RevokeAll()
		err := h.src.Sync(context.Background(), nil, h.sink)
		var ce *connectors.Error
		if !errors.As(err, &ce) || ce.Code != "auth_failed" || ce.Message != "Microsoft no longer accepts Confidant's access: connect again." {
			t.Fatalf("sync: %v", err)
		}
	})
}

func TestProposals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var src connectors.Source = h.src
	id, err := src.(connectors.DraftSaver).SaveDraft(context.Background(), connectors.Draft{To: []string{"bob@contoso.example"}, Subject: "Re: plan", Text: "Looks good."})
	if err != nil || id == "" {
		t.Fatalf("SaveDraft: %q %v", id, err)
	}
	d := h.f.Drafts()
	if len(d) != 1 || d[0]["subject"] != "Re: plan" || d[0]["isDraft"] != true {
		t.Fatalf("drafts = %v", d)
	}
	start := time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)
	id, err = src.(connectors.EventCreator).CreateEvent(context.Background(), connectors.Event{Summary: "1:1", Start: start, End: start.Add(30 * time.Minute), Attendees: []string{"bob@contoso.example"}})
	if err != nil || id == "" {
		t.Fatalf("CreateEvent: %q %v", id, err)
	}
	ev := h.f.Events()
	if len(ev) != 1 || ev[0]["subject"] != "1:1" || ev[0]["start"].(map[string]any)["dateTime"] != "2026-12-02T09:30:00" {
		t.Fatalf("events = %v", ev)
	}
	if err := src.(connectors.Revoker).Revoke(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestResyncRemovesWhatWasDeletedMeanwhile: when Graph answers 410 for a
// delta link, the full rounds that follow are marked Reset, and what was
// deleted meanwhile (never reported as removed) is gone after the sync.
func TestResyncRemovesWhatWasDeletedMeanwhile(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	now := time.Now().UTC().Truncate(time.Hour)
	for _, s := range []string{"a", "b", "c"} {
		h.f.AddMessage(fakegraph.Message{Subject: s, From: "x@contoso.example", Text: s})
	}
	doomed := h.f.AddMessage(fakegraph.Message{Subject: "doomed", From: "x@contoso.example", Text: "bye"})
	review := h.f.AddEvent(fakegraph.Event{Subject: "Review", Start: now.Add(2 * time.Hour), End: now.Add(3 * time.Hour)})
	offsite := h.f.AddEvent(fakegraph.Event{Subject: "Offsite", Start: now.Add(26 * time.Hour), End: now.Add(27 * time.Hour)})
	h.sync(t)
	h.sync(t) // a delta round, nothing changed
	if h.sink.Resets != 0 || len(h.sink.Mail) != 4 || len(h.sink.Events) != 2 {
		t.Fatalf("before the resync: %d resets, mail %q, %d events", h.sink.Resets, h.sink.Subjects(), len(h.sink.Events))
	}

	h.f.DeleteMessage(doomed)
	h.f.DeleteEvent(offsite)
	h.f.InvalidateDeltaTokens() // the deletions above are never reported
	h.sync(t)
	if h.sink.Resets != 1 {
		t.Errorf("%d batches marked Reset, want 1", h.sink.Resets)
	}
	if got := h.sink.Subjects(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("mail after the resync: %q", got)
	}
	if _, ok := h.sink.Events[offsite]; ok || h.sink.Events[review].Summary != "Review" || len(h.sink.Events) != 1 {
		t.Errorf("events after the resync: %+v", h.sink.Events)
	}

	h.f.AddMessage(fakegraph.Message{Subject: "d", From: "x@contoso.example", Text: "d"})
	h.sync(t)
	if got := h.sink.Subjects(); h.sink.Resets != 1 || !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("after the next sync: %d resets, mail %q", h.sink.Resets, got)
	}
}
