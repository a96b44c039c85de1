package google_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"confidant/connectors"
	"confidant/connectors/google"
	"confidant/connectors/mailparse"
	"confidant/connectors/oauth"
	"confidant/internal/fakegoogle"
	"confidant/internal/oauthtest"
)

type harness struct {
	g      *fakegoogle.Server
	opts   google.Options
	src    *google.Source
	sink   *oauthtest.Sink
	saved  []connectors.Settings
	sleeps []time.Duration
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{g: fakegoogle.New(t, "alice@example.com"), sink: oauthtest.NewSink()}
	h.opts = google.Options{ClientID: fakegoogle.ClientID, ClientSecret: fakegoogle.ClientSecret, BaseURL: h.g.URL, PageSize: 2,
		Sleep: func(_ context.Context, d time.Duration) error { h.sleeps = append(h.sleeps, d); return nil }}
	_, s := oauthtest.Connect(t, google.Provider(h.opts))
	if s.Account != "alice@example.com" || s.RefreshToken == "" || s.AccessToken == "" {
		t.Fatalf("settings after connect: account %q, tokens present %v %v", s.Account, s.RefreshToken != "", s.AccessToken != "")
	}
	h.src = h.open(t, s)
	return h
}

func (h *harness) open(t *testing.T, s connectors.Settings) *google.Source {
	t.Helper()
	src, err := google.Factory(h.opts)(s, nil, func(_ context.Context, s connectors.Settings) error {
		h.saved = append(h.saved, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return src.(*google.Source)
}

func (h *harness) sync(t *testing.T) {
	t.Helper()
	if err := h.src.Sync(context.Background(), h.sink.Cursor, h.sink); err != nil {
		t.Fatalf("sync: %v", err)
	}
	h.sink.Completed()
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mail(subject string) []byte {
	return []byte("From: x@example.org\r\nTo: alice@example.com\r\nSubject: " + subject + "\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", "-") + "@example.org>\r\n\r\nBody of " + subject + "\r\n")
}

func TestMailFullThenIncremental(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	plain := h.g.AddMessage(readFile(t, "plain.eml"), "INBOX", "UNREAD")
	htmlID := h.g.AddMessage(readFile(t, "html-attachment.eml"), "INBOX")
	h.g.AddMessage(mail("three"), "SENT")

	h.sync(t)
	if got := h.sink.Subjects(); !slices.Equal(got, []string{"Lunch on Friday?", "Menü der Woche", "three"}) {
		t.Fatalf("after full sync: %q", got)
	}
	if h.sink.Batches < 2 {
		t.Errorf("3 messages with page size 2 came in %d batches; want paging", h.sink.Batches)
	}
	p := h.sink.Mail[plain]
	if p.From != "Bob Example <bob@example.org>" || p.MessageID != "lunch-1@example.org" || p.Folder != "INBOX" ||
		!strings.Contains(p.Text, "usual place at noon") || !p.Date.Equal(time.Date(2026, 11, 24, 8, 15, 0, 0, time.UTC)) {
		t.Errorf("plain message = %+v", p)
	}
	hm := h.sink.Mail[htmlID]
	if hm.Text != "Soup of the day: lentils\n\nDessert: tarte" || len(hm.Attachments) != 1 || hm.Attachments[0].Name != "menu.pdf" ||
		len(hm.Cc) != 1 || !strings.Contains(hm.From, "news@example.net") {
		t.Errorf("html message = %+v", hm)
	}

	// Incremental: one added, one deleted; nothing is listed again.
	lists := h.g.Requests("GET /gmail/v1/users/me/messages")
	added := h.g.AddMessage(mail("four"), "INBOX")
	h.g.DeleteMessage(plain)
	h.sync(t)
	if got := h.sink.Subjects(); !slices.Equal(got, []string{"Menü der Woche", "four", "three"}) {
		t.Fatalf("after incremental sync: %q", got)
	}
	if h.g.Requests("GET /gmail/v1/users/me/messages") != lists {
		t.Error("incremental sync listed all messages again")
	}
	if _, ok := h.sink.Mail[added]; !ok {
		t.Error("added message missing")
	}

	// Added then deleted between two syncs: never stored.
	gone := h.g.AddMessage(mail("five"), "INBOX")
	h.g.DeleteMessage(gone)
	h.sync(t)
	if _, ok := h.sink.Mail[gone]; ok || len(h.sink.Mail) != 3 {
		t.Errorf("after add+delete: %q", h.sink.Subjects())
	}
}

func TestMailResyncOnInvalidHistory(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.g.AddMessage(mail("one"), "INBOX")
	h.sync(t)
	h.g.InvalidateHistory()
	h.g.AddMessage(mail("two"), "INBOX")
	lists := h.g.Requests("GET /gmail/v1/users/me/messages")
	h.sync(t)
	if got := h.sink.Subjects(); !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("after resync: %q", got)
	}
	if h.g.Requests("GET /gmail/v1/users/me/messages") == lists {
		t.Error("a 404 for the history id did not lead to a full listing")
	}
	// And the resync left a usable history id behind.
	h.g.AddMessage(mail("three"), "INBOX")
	lists = h.g.Requests("GET /gmail/v1/users/me/messages")
	h.sync(t)
	if len(h.sink.Mail) != 3 || h.g.Requests("GET /gmail/v1/users/me/messages") != lists {
		t.Errorf("after resync, incremental: %q", h.sink.Subjects())
	}
}

func TestSyncResumesWhereItStopped(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		h.g.AddMessage(mail(s), "INBOX")
	}
	h.sink.FailAt = 2
	if err := h.src.Sync(context.Background(), nil, h.sink); !errors.Is(err, oauthtest.ErrSinkDown) {
		t.Fatalf("sync with failing sink: %v", err)
	}
	if len(h.sink.Mail) != 2 {
		t.Fatalf("after the first batch: %q", h.sink.Subjects())
	}
	gets := h.g.Requests("GET /gmail/v1/users/me/messages")
	h.sink.FailAt = 0
	h.sync(t)
	if got := h.sink.Subjects(); !slices.Equal(got, []string{"a", "b", "c", "d", "e"}) {
		t.Fatalf("after resuming: %q", got)
	}
	// Resuming asked for the 2nd and 3rd page only (page size 2).
	if n := h.g.Requests("GET /gmail/v1/users/me/messages") - gets; n != 2 {
		t.Errorf("resuming listed %d pages, want 2", n)
	}
}

func TestCalendarSync(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	now := time.Now().UTC().Truncate(time.Hour)
	standup := h.g.AddEvent(fakegoogle.Event{Summary: "Standup", Start: fakegoogle.EventTime{DateTime: now.Add(24 * time.Hour).Format(time.RFC3339), TimeZone: "Europe/Berlin"},
		End: fakegoogle.EventTime{DateTime: now.Add(25 * time.Hour).Format(time.RFC3339)}, RecurringEventID: "series1",
		Organizer: &fakegoogle.Person{Email: "boss@example.com"}, Attendees: []fakegoogle.Person{{Email: "alice@example.com"}}})
	holiday := h.g.AddEvent(fakegoogle.Event{Summary: "Holiday", Start: fakegoogle.EventTime{Date: now.Add(48 * time.Hour).Format(time.DateOnly)},
		End: fakegoogle.EventTime{Date: now.Add(72 * time.Hour).Format(time.DateOnly)}})
	h.g.AddEvent(fakegoogle.Event{Summary: "Long ago", Start: fakegoogle.EventTime{DateTime: now.AddDate(-2, 0, 0).Format(time.RFC3339)},
		End: fakegoogle.EventTime{DateTime: now.AddDate(-2, 0, 0).Add(time.Hour).Format(time.RFC3339)}})
	third := h.g.AddEvent(fakegoogle.Event{Summary: "Dentist", Start: fakegoogle.EventTime{DateTime: now.Add(96 * time.Hour).Format(time.RFC3339)},
		End: fakegoogle.EventTime{DateTime: now.Add(97 * time.Hour).Format(time.RFC3339)}})

	h.sync(t)
	if len(h.sink.Events) != 3 {
		t.Fatalf("events after full sync: %+v", h.sink.Events)
	}
	s := h.sink.Events[standup]
	if s.Summary != "Standup" || !s.Start.Equal(now.Add(24*time.Hour)) || s.TimeZone != "Europe/Berlin" || !s.Recurring ||
		s.Organizer != "boss@example.com" || len(s.Attendees) != 1 || s.UID == "" {
		t.Errorf("standup = %+v", s)
	}
	if hd := h.sink.Events[holiday]; !hd.AllDay || hd.End.Sub(hd.Start) != 24*time.Hour {
		t.Errorf("holiday = %+v", hd)
	}

	// Incremental: a change and a cancellation.
	h.g.AddEvent(fakegoogle.Event{ID: third, Summary: "Dentist (moved)", Start: fakegoogle.EventTime{DateTime: now.Add(98 * time.Hour).Format(time.RFC3339)},
		End: fakegoogle.EventTime{DateTime: now.Add(99 * time.Hour).Format(time.RFC3339)}})
	h.g.CancelEvent(holiday)
	h.sync(t)
	if _, ok := h.sink.Events[holiday]; ok || h.sink.Events[third].Summary != "Dentist (moved)" || len(h.sink.Events) != 2 {
		t.Fatalf("events after incremental sync: %+v", h.sink.Events)
	}

	// 410 Gone for the sync token: the window is listed again.
	h.g.InvalidateSyncTokens()
	h.g.AddEvent(fakegoogle.Event{Summary: "Review", Start: fakegoogle.EventTime{DateTime: now.Add(5 * time.Hour).Format(time.RFC3339)},
		End: fakegoogle.EventTime{DateTime: now.Add(6 * time.Hour).Format(time.RFC3339)}})
	h.sync(t)
	if len(h.sink.Events) != 3 {
		t.Fatalf("events after resync: %+v", h.sink.Events)
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		status  int
		n       int
		maxWait time.Duration
		want    string // "" for a sync that succeeds after waiting
	}{
		{"429 waited out", http.StatusTooManyRequests, 2, 0, ""},
		{"403 rateLimitExceeded waited out", http.StatusForbidden, 1, 0, ""},
		{"429 persisting", http.StatusTooManyRequests, 10, 0, "rate_limited"},
		{"Retry-After longer than a sync waits", http.StatusTooManyRequests, 1, 500 * time.Millisecond, "rate_limited"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			if tc.maxWait != 0 {
				h.opts.MaxWait = tc.maxWait
				h.src = h.open(t, h.src.Settings())
			}
			h.g.AddMessage(mail("one"), "INBOX")
			h.g.RateLimit(tc.n, tc.status)
			err := h.src.Sync(context.Background(), nil, h.sink)
			var ce *connectors.Error
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("sync: %v", err)
			case tc.want == "":
				if len(h.sink.Mail) != 1 || len(h.sleeps) != tc.n || h.sleeps[0] != time.Second {
					t.Errorf("mail %d, waits %v; want the Retry-After of 1s waited %d times", len(h.sink.Mail), h.sleeps, tc.n)
				}
			case !errors.As(err, &ce) || ce.Code != tc.want || !ce.Retry:
				t.Fatalf("sync: %v, want %s with Retry", err, tc.want)
			default:
				var rl *oauth.RateLimited
				if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
					t.Errorf("rate limit cause: %v", err)
				}
				if tc.maxWait != 0 && len(h.sleeps) != 0 {
					t.Errorf("waited %v for a Retry-After longer than MaxWait", h.sleeps)
				}
			}
		})
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	t.Run("expired access token is refreshed and saved", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.g.AddMessage(mail("one"), "INBOX")
		h.g.OAuth.ExpireAccessTokens()
		h.sync(t)
		if len(h.sink.Mail) != 1 || h.g.OAuth.Counts().Refreshes != 1 || len(h.saved) != 1 || h.saved[0].AccessToken == "" || h.saved[0].RefreshToken == "" {
			t.Fatalf("mail %d, refreshes %d, saved %d", len(h.sink.Mail), h.g.OAuth.Counts().Refreshes, len(h.saved))
		}
	})
	t.Run("token near its expiry is refreshed before use", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		s := h.src.Settings()
		s.TokenExpiry = time.Now().Add(30 * time.Second)
		src := h.open(t, s)
		if err := src.Sync(context.Background(), nil, h.sink); err != nil {
			t.Fatal(err)
		}
		c := h.g.OAuth.Counts()
		if c.Refreshes != 1 || c.RefusedRequests != 0 || len(h.saved) != 1 {
			t.Errorf("counts %+v, saved %d: want one refresh and no refused request", c, len(h.saved))
		}
	})
	t.Run("revoked refresh token is auth_failed", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.g.AddMessage(mail("one"), "INBOX")
		h.g.OAuth.RevokeAll()
		err := h.src.Sync(context.Background(), nil, h.sink)
		var ce *connectors.Error
		if !errors.As(err, &ce) || ce.Code != "auth_failed" || ce.Retry || ce.Message != "Google no longer accepts Confidant's access: connect again." {
			t.Fatalf("sync: %v", err)
		}
		if len(h.sink.Mail) != 0 || len(h.saved) != 0 {
			t.Error("something was stored after the grant was revoked")
		}
	})
	t.Run("access refused after one refresh is auth_failed", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.g.OAuth.RejectAccessTokens(true)
		err := h.src.Sync(context.Background(), nil, h.sink)
		var ce *connectors.Error
		if !errors.As(err, &ce) || ce.Code != "auth_failed" || h.g.OAuth.Counts().Refreshes != 1 {
			t.Fatalf("sync: %v after %d refreshes", err, h.g.OAuth.Counts().Refreshes)
		}
	})
	t.Run("revoke on disconnect", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		rt := h.src.Settings().RefreshToken
		if err := h.src.Revoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		if h.g.OAuth.RefreshLive(rt) || h.g.OAuth.Counts().Revocations != 1 {
			t.Fatal("the refresh token is still live after Revoke")
		}
		err := h.src.Sync(context.Background(), nil, h.sink)
		var ce *connectors.Error
		if !errors.As(err, &ce) || ce.Code != "auth_failed" {
			t.Fatalf("sync after revoke: %v", err)
		}
	})
}

func TestProposals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var src connectors.Source = h.src
	drafts, ok := src.(connectors.DraftSaver)
	if !ok {
		t.Fatal("not a DraftSaver")
	}
	id, err := drafts.SaveDraft(context.Background(), connectors.Draft{To: []string{"bob@example.org"}, Subject: "Re: Lunch on Friday?\r\nBcc: eve@example.net",
		Text: "Yes, noon works.", InReplyTo: "lunch-1@example.org"})
	if err != nil || id == "" {
		t.Fatalf("SaveDraft: %q, %v", id, err)
	}
	d := h.g.Drafts()
	if len(d) != 1 || !strings.Contains(string(d[0].Raw), "In-Reply-To: <lunch-1@example.org>") ||
		!strings.Contains(string(d[0].Raw), "Yes, noon works.") || strings.Contains(string(d[0].Raw), "\r\nBcc:") ||
		!strings.Contains(string(d[0].Raw), "From: alice@example.com") {
		t.Fatalf("draft = %q", d)
	}

	events, ok := src.(connectors.EventCreator)
	if !ok {
		t.Fatal("not an EventCreator")
	}
	start := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	id, err = events.CreateEvent(context.Background(), connectors.Event{Summary: "Lunch with Bob", Start: start, End: start.Add(time.Hour),
		TimeZone: "Europe/Paris", Attendees: []string{"bob@example.org"}})
	if err != nil || id == "" {
		t.Fatalf("CreateEvent: %q, %v", id, err)
	}
	all := h.g.Events()
	if len(all) != 1 || all[0].ID != id || all[0].Summary != "Lunch with Bob" || all[0].Start.TimeZone != "Europe/Paris" ||
		all[0].Start.DateTime != "2026-12-03T14:00:00Z" || len(all[0].Attendees) != 1 {
		t.Fatalf("events = %+v", all)
	}
	// Syncing does not create anything.
	h.sync(t)
	if len(h.g.Drafts()) != 1 || len(h.g.Events()) != 1 {
		t.Error("a sync created drafts or events")
	}
}

// TestResyncRemovesWhatWasDeletedMeanwhile: when Google no longer knows
// the history id (404) or the calendar sync token (410), the full listing
// that follows is marked Reset, and what was deleted while the incremental
// state was gone (so never reported as deleted) is gone after the sync.
func TestResyncRemovesWhatWasDeletedMeanwhile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		invalidate func(g *fakegoogle.Server)
	}{
		{"history id gone (404)", (*fakegoogle.Server).InvalidateHistory},
		{"sync token gone (410)", (*fakegoogle.Server).InvalidateSyncTokens},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			now := time.Now().UTC().Truncate(time.Hour)
			at := func(hours int) fakegoogle.EventTime {
				return fakegoogle.EventTime{DateTime: now.Add(time.Duration(hours) * time.Hour).Format(time.RFC3339)}
			}
			h.g.AddMessage(mail("one"), "INBOX")
			doomed := h.g.AddMessage(mail("two"), "INBOX")
			h.g.AddMessage(mail("three"), "INBOX")
			standup := h.g.AddEvent(fakegoogle.Event{Summary: "Standup", Start: at(2), End: at(3)})
			dentist := h.g.AddEvent(fakegoogle.Event{Summary: "Dentist", Start: at(26), End: at(27)})
			h.sync(t)
			h.sync(t) // incremental, nothing changed
			if h.sink.Resets != 0 || len(h.sink.Mail) != 3 || len(h.sink.Events) != 2 {
				t.Fatalf("before the resync: %d resets, mail %q, %d events", h.sink.Resets, h.sink.Subjects(), len(h.sink.Events))
			}

			h.g.DeleteMessage(doomed)
			h.g.CancelEvent(dentist)
			tc.invalidate(h.g) // the event's cancellation is never reported
			h.sync(t)
			if h.sink.Resets != 1 {
				t.Errorf("%d batches marked Reset, want 1", h.sink.Resets)
			}
			if got := h.sink.Subjects(); !slices.Equal(got, []string{"one", "three"}) {
				t.Errorf("mail after the resync: %q", got)
			}
			if _, ok := h.sink.Events[dentist]; ok || h.sink.Events[standup].Summary != "Standup" || len(h.sink.Events) != 1 {
				t.Errorf("events after the resync: %+v", h.sink.Events)
			}

			// Back to incremental syncs, which never reset.
			h.g.AddMessage(mail("four"), "INBOX")
			h.sync(t)
			if got := h.sink.Subjects(); h.sink.Resets != 1 || !slices.Equal(got, []string{"four", "one", "three"}) {
				t.Errorf("after the next sync: %d resets, mail %q", h.sink.Resets, got)
			}
		})
	}
}

// A huge message is parsed only as far as the IMAP source fetches one:
// its beginning, marked as cut, with its real size.
func TestHugeMessageParsedInPart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	body := strings.Repeat("a line of a very long message\r\n", 3<<20/31)
	h.g.AddMessage(append(mail("huge"), body...), "INBOX")
	h.sync(t)
	if len(h.sink.Mail) != 1 {
		t.Fatalf("synced %d messages", len(h.sink.Mail))
	}
	var m connectors.Mail
	for _, only := range h.sink.Mail {
		m = only
	}
	if m.Subject != "huge" || m.Size < 3<<20-4096 || !strings.HasSuffix(m.Text, mailparse.MarkerPartial) ||
		!strings.Contains(m.Text, "a line of a very long message") {
		t.Fatalf("huge message: subject %q, size %d, text %d bytes", m.Subject, m.Size, len(m.Text))
	}
}
