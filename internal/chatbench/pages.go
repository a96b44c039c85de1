package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/enclave"
	"confidant/internal/softauthn"
	"confidant/store"
)

// browser is a cookie-keeping client that behaves like the app's own
// JavaScript, as internal/testclient does: it reads the CSRF token from
// pages and sends it back. It speaks to the origin (http://localhost:PORT)
// but always dials the server's loopback address.
type browser struct {
	base string
	hc   *http.Client
	csrf string
}

func newBrowser(origin string, port int) *browser {
	jar, _ := cookiejar.New(nil)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:              nil,
		DialContext:        func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) },
		DisableCompression: true,
	}
	return &browser{base: origin, hc: &http.Client{Jar: jar, Transport: tr, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)

func (b *browser) do(req *http.Request) (int, []byte, error) {
	res, err := b.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, body, err
}

// get fetches a page and remembers its CSRF token.
func (b *browser) get(ctx context.Context, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	if strings.Contains(path, "/earlier?") {
		req.Header.Set("HX-Request", "true") // as htmx asks for a window on scroll
	}
	status, body, err := b.do(req)
	if m := csrfMeta.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return status, body, err
}

func (b *browser) postJSON(ctx context.Context, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", b.csrf)
	return b.do(req)
}

// signUp runs the sign-up ceremony with a software passkey; the session
// cookie it sets stays in the jar.
func (b *browser) signUp(ctx context.Context, username string) error {
	if status, _, err := b.get(ctx, "/signup"); err != nil || status != http.StatusOK {
		return fmt.Errorf("GET /signup: %d %v", status, err)
	}
	req, _ := json.Marshal(map[string]string{"username": username, "display_name": username})
	status, body, err := b.postJSON(ctx, "/auth/signup/begin", req)
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("sign-up begin: %d %v %.300s", status, err, body)
	}
	var ch struct {
		Ceremony string          `json:"ceremony"`
		Options  json.RawMessage `json:"options"`
	}
	if err := json.Unmarshal(body, &ch); err != nil {
		return fmt.Errorf("sign-up begin: %w", err)
	}
	resp, _, err := softauthn.New(b.base).Create(ch.Options)
	if err != nil {
		return fmt.Errorf("passkey: %w", err)
	}
	status, body, err = b.postJSON(ctx, "/auth/signup/finish?ceremony="+ch.Ceremony, resp)
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("sign-up finish: %d %v %.300s", status, err, body)
	}
	return nil
}

// pageStats are the timings of repeated GETs of one page.
type pageStats struct {
	name          string
	n             int
	p50, p95, max time.Duration
	bytes         int
	messages      int // distinct seeded messages the page shows
}

var (
	markerRE  = regexp.MustCompile(`marker\d{5}z`)
	earlierRE = regexp.MustCompile(`/c/[0-9a-f-]{36}/earlier\?before=[0-9a-f-]{36}`)
)

// timePage GETs path once to warm it and check it, then n times (or until
// limit has passed), each read to its end.
func timePage(ctx context.Context, b *browser, name, path string, n int, limit time.Duration, want string) (pageStats, error) {
	status, body, err := b.get(ctx, path)
	if err != nil || status != http.StatusOK {
		return pageStats{}, fmt.Errorf("GET %s: %d %v", path, status, err)
	}
	if want != "" && !bytes.Contains(body, []byte(want)) {
		return pageStats{}, fmt.Errorf("GET %s: the page lacks %q", path, want)
	}
	s := pageStats{name: name, bytes: len(body)}
	seen := map[string]bool{}
	for _, m := range markerRE.FindAll(body, -1) {
		seen[string(m)] = true
	}
	s.messages = len(seen)
	var lat []time.Duration
	end := time.Now().Add(limit)
	for i := 0; i < n && time.Now().Before(end); i++ {
		t0 := time.Now()
		status, _, err := b.get(ctx, path)
		if err != nil || status != http.StatusOK {
			return pageStats{}, fmt.Errorf("GET %s: %d %v", path, status, err)
		}
		lat = append(lat, time.Since(t0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	s.n, s.p50, s.p95, s.max = len(lat), pct(lat, .5), pct(lat, .95), lat[len(lat)-1]
	return s, nil
}

// pagesPart is part 3: render time of a long conversation and of the page
// of a user with many conversations, seeded sealed through the app's store.
func pagesPart(ctx context.Context, o options, e env, server *child) error {
	fmt.Printf("\n== 3. server render time: a fresh server and database, one signed-in user, GETs one after another, each read to its end\n")
	const username = "benchreader"
	b := newBrowser(e.origin, e.serverPort)
	if err := b.signUp(ctx, username); err != nil {
		return err
	}

	// The store, in this process, with the server's keys: the simulated
	// root key lives in the shared data directory.
	pcfg, err := pgxpool.ParseConfig(e.dbURL)
	if err != nil {
		return err
	}
	const workers = 4
	pcfg.MaxConns = workers + 1
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	enc, err := enclave.Boot(ctx, enclave.BootConfig{Mode: enclave.ModeSimulated, DataDir: e.dataDir}, slog.New(slog.DiscardHandler))
	if err != nil {
		return fmt.Errorf("enclave: %w", err)
	}
	st := store.New(pool, enc.Keyring, enc.Tombstones)
	user, err := st.UserByUsername(ctx, username)
	if err != nil {
		return fmt.Errorf("find %s: %w", username, err)
	}

	var stats []pageStats
	add := func(name, path, want string) error {
		s, err := timePage(ctx, b, name, path, o.gets, o.pageCap, want)
		if err != nil {
			return err
		}
		stats = append(stats, s)
		return server.exited()
	}
	if err := add("/healthz (no database, no page)", "/healthz", ""); err != nil {
		return err
	}
	if err := add("/ new-chat page, no conversations", "/", ""); err != nil {
		return err
	}

	t0 := time.Now()
	if err := seedConversations(ctx, st, user.ID, o.convs, workers); err != nil {
		return fmt.Errorf("seed conversations: %w", err)
	}
	fmt.Printf("  seeded %d conversations (titled, no messages) in %.1fs (%d goroutines, 250 per transaction)\n",
		o.convs, time.Since(t0).Seconds(), workers)
	if err := add(fmt.Sprintf("/ new-chat page, %d conversations", o.convs), "/", convTitle(0)); err != nil {
		return err
	}

	t0 = time.Now()
	convID, err := seedLongConversation(ctx, st, user.ID, o.messages)
	if err != nil {
		return fmt.Errorf("seed the long conversation: %w", err)
	}
	fmt.Printf("  seeded a conversation of %d messages in %.1fs (sealed, indexed, one transaction)\n", o.messages, time.Since(t0).Seconds())
	if err := add(fmt.Sprintf("/c/ID conversation of %d messages", o.messages), "/c/"+convID.String(), marker(o.messages-1)); err != nil {
		return err
	}
	// The window before the one on show, as scrolling up loads it.
	_, page, err := b.get(ctx, "/c/"+convID.String())
	if err != nil {
		return err
	}
	earlier := earlierRE.Find(page)
	if earlier == nil {
		return errors.New("the conversation page has no link to its earlier messages")
	}
	shown := stats[len(stats)-1].messages
	if err := add("/c/ID/earlier the window before that", string(earlier), marker(o.messages-1-shown)); err != nil {
		return err
	}

	fmt.Printf("  %-42s %5s %9s %9s %9s %10s\n", "page", "GETs", "p50", "p95", "max", "size")
	for _, s := range stats {
		fmt.Printf("  %-42s %5d %9s %9s %9s %8.0fKB\n", s.name, s.n, ms(s.p50), ms(s.p95), ms(s.max), float64(s.bytes)/1024)
	}
	fmt.Printf("  ratio p95 conversation of %d messages / new-chat page: %.1fx (%s per message shown)\n",
		o.messages, ratio(stats[3].p95, stats[1].p95), ms((stats[3].p95-stats[1].p95)/time.Duration(max(1, stats[3].messages))))
	fmt.Printf("  ratio p95 new-chat page with %d conversations / with none: %.2fx\n", o.convs, ratio(stats[2].p95, stats[1].p95))
	fmt.Printf("  the conversation page shows %d of the %d messages (%.0f KB of HTML)\n", stats[3].messages, o.messages, float64(stats[3].bytes)/1024)
	return nil
}

// marker is a word in message i, to check the page shows the last one.
func marker(i int) string { return fmt.Sprintf("marker%05dz", i) }

func convTitle(i int) string { return fmt.Sprintf("Seeded %05d planning notes", i) }

// seedLongConversation stores a conversation of n messages, user and
// assistant in turn, each the parent of the next, every answer with a
// verdict of the size a real one has, in one transaction, and
// makes the last the branch on show. It is older than the other
// conversations, so it is not on the first page of the list.
func seedLongConversation(ctx context.Context, st *store.Store, userID uuid.UUID, n int) (uuid.UUID, error) {
	base := time.Now().Add(-30 * 24 * time.Hour)
	convID, _ := uuid.NewV7()
	conv := store.Conversation{ID: convID, UserID: userID, Title: "A long conversation", Model: "sim-chat", CreatedAt: base}
	if err := st.CreateConversation(ctx, conv); err != nil {
		return uuid.Nil, err
	}
	var last uuid.UUID
	err := st.InTx(ctx, func(tx *store.Store) error {
		var parent *uuid.UUID
		for i := range n {
			id, _ := uuid.NewV7()
			m := store.Message{ID: id, ConversationID: convID, UserID: userID, ParentID: parent,
				Status: store.StatusComplete, CreatedAt: base.Add(time.Duration(i) * 30 * time.Second)}
			if i%2 == 0 {
				m.Role, m.Content = store.RoleUser, userText(i)
			} else {
				m.Role, m.Content, m.Model = store.RoleAssistant, assistantText(i), "sim-chat"
			}
			if err := tx.AddMessage(ctx, m); err != nil {
				return err
			}
			if m.Role == store.RoleAssistant {
				if err := tx.SaveAnswerVerification(ctx, userID, id, seedVerdict(i, m.CreatedAt)); err != nil {
					return err
				}
			}
			last = id
			p := id
			parent = &p
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		return nil
	})
	if err != nil {
		return uuid.Nil, err
	}
	return convID, st.UpdateConversation(ctx, userID, convID, store.ConversationUpdate{CurrentLeaf: &last}, base)
}

// seedVerdict is an answer's verdict shaped like a real backend's: the
// signature, the signed text, and the report's checks and facts (about
// 2 KB of JSON, sealed).
func seedVerdict(i int, at time.Time) store.AnswerVerification {
	v := store.AnswerVerification{State: store.VerificationAmber, Backend: "http://127.0.0.1:8081", SigningAlgo: "ecdsa",
		SigningAddress: "0x" + strings.Repeat("5e", 20), Signature: "0x" + strings.Repeat(fmt.Sprintf("%02x", i%256), 65),
		Text: strings.Repeat("a", 64) + ":" + strings.Repeat("b", 64), CheckedAt: at, ReportVerifiedAt: at, ReportState: "amber",
		Simulated: true, ReportFacts: map[string]string{}}
	for _, c := range []string{"nonce", "tdx_quote", "report_data", "compose_hash", "event_log", "gpu_evidence", "nras_verdict", "allowlist"} {
		v.ReportChecks = append(v.ReportChecks, store.ReportCheck{Name: c, Status: "skipped",
			Detail: "simulated evidence: this check has nothing real to verify, so it cannot pass (" + c + ")"})
	}
	for _, f := range []string{"mr_td", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "compose_hash"} {
		v.ReportFacts[f] = strings.Repeat("0f", 48)
	}
	return v
}

var topics = []string{"the garden", "a trip to Lisbon", "tax forms", "a birthday party", "the quarterly report", "sourdough", "a job interview", "the new bike"}

// userText is a typical question (~150 characters).
func userText(i int) string {
	return fmt.Sprintf("Question %d (%s): could you help me think through %s again, and what I should do first? I keep going back and forth on it.",
		i, marker(i), topics[i%len(topics)])
}

// assistantText is a typical markdown answer (~700 characters), with a
// code block in every tenth.
func assistantText(i int) string {
	var sb strings.Builder
	t := topics[i%len(topics)]
	fmt.Fprintf(&sb, "Here is how I would approach **%s** (answer %d, %s).\n\n", t, i, marker(i))
	sb.WriteString("Start with what you already know, write it down, and only then look at what is missing. ")
	sb.WriteString("Most of the work is in the first step; the rest follows once the picture is clear.\n\n")
	fmt.Fprintf(&sb, "1. List what matters about %s.\n2. Put a date on each item.\n3. Ask someone you trust to check the list.\n\n", t)
	sb.WriteString("A few things to keep in mind:\n\n- keep it *simple*\n- do not wait for the perfect moment\n- write things down as you go\n\n")
	if i%10 == 1 {
		fmt.Fprintf(&sb, "```go\nfunc step%d(items []string) int {\n\tn := 0\n\tfor _, it := range items {\n\t\tif it != \"\" {\n\t\t\tn++\n\t\t}\n\t}\n\treturn n\n}\n```\n\n", i)
	}
	sb.WriteString("Let me know how it goes, and we can adjust the plan.")
	return sb.String()
}

// seedConversations stores n titled conversations, newer than the long
// one, newest first, with workers goroutines of 250 per transaction.
func seedConversations(ctx context.Context, st *store.Store, userID uuid.UUID, n, workers int) error {
	const batch = 250
	now := time.Now()
	starts := make(chan int)
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for from := range starts {
				err := st.InTx(ctx, func(tx *store.Store) error {
					for i := from; i < min(from+batch, n); i++ {
						id, _ := uuid.NewV7()
						c := store.Conversation{ID: id, UserID: userID, Title: convTitle(i), Model: "sim-chat",
							CreatedAt: now.Add(-time.Duration(i+1) * time.Minute)}
						if err := tx.CreateConversation(ctx, c); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	var err error
feed:
	for from := 0; from < n; from += batch {
		select {
		case starts <- from:
		case err = <-errc:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(starts)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	return err
}
