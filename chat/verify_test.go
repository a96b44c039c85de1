package chat_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/chat"
	"confidant/enclave/evidence"
	"confidant/inference"
	"confidant/inference/signing"
	"confidant/inference/simbackend"
	"confidant/internal/testdb"
	"confidant/store"
)

// fixedVerifier judges every report with the same state.
type fixedVerifier struct {
	state  evidence.State
	detail string
}

func (f fixedVerifier) VerifyReport(_ context.Context, r signing.Report, _ [32]byte) evidence.Verdict {
	v := evidence.Verdict{State: evidence.Green, SigningAddress: r.SigningAddress, SigningAlgo: string(r.SigningAlgo), Simulated: f.state == evidence.Amber}
	status := map[evidence.State]evidence.Status{evidence.Green: evidence.Pass, evidence.Amber: evidence.Skipped, evidence.Red: evidence.Fail}[f.state]
	v.Add(evidence.Check{Name: "tdx_quote", Status: status, Detail: f.detail})
	return v
}

// provenSetup is a chat service on the simulated backend behind an
// attestor with the given verifier; chats counts the backend's chat requests.
func provenSetup(t *testing.T, v inference.ReportVerifier) (*chat.Service, *store.Store, store.User, *atomic.Int32) {
	t.Helper()
	return provenSetupSlowSignatures(t, v, 0, 0)
}

// provenSetupSlowSignatures is provenSetup with a backend that takes
// delay to answer each signature request, and answers that wait up to
// verdictWait for it (0: the default).
func provenSetupSlowSignatures(t *testing.T, v inference.ReportVerifier, delay, verdictWait time.Duration) (*chat.Service, *store.Store, store.User, *atomic.Int32) {
	t.Helper()
	t.Parallel()
	var chats atomic.Int32
	sim := simbackend.New(simbackend.Options{DefaultTokens: 6})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/chat/completions" {
			chats.Add(1)
		}
		if strings.HasPrefix(r.URL.Path, "/v1/signature/") {
			time.Sleep(delay)
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	client, err := inference.New(inference.Config{BaseURL: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	att, err := inference.NewAttestor(client, inference.AttestorOptions{Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	st := testdb.NewStore(t)
	u := store.User{ID: uuid.New(), Username: "alice", DisplayName: "Alice", CreatedAt: time.Now()}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	catalog := &chat.Catalog{Client: client}
	svc := chat.New(st, &chat.InferenceBackend{Client: client, Catalog: catalog, Attestor: att}, chat.Options{CommitEvery: 10 * time.Millisecond, VerdictWait: verdictWait})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		svc.Shutdown(ctx)
	})
	return svc, st, u, &chats
}

// waitVerification polls until the answer's verdict is stored.
func waitVerification(t *testing.T, st *store.Store, userID, id uuid.UUID) store.AnswerVerification {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err := st.AnswerVerification(context.Background(), userID, id)
		if err == nil {
			return v
		}
		if !errors.Is(err, store.ErrNotFound) || time.Now().After(deadline) {
			t.Fatalf("verification of %s: %v", id, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAnswerIsVerifiedAfterItCompletes(t *testing.T) {
	svc, st, u, chats := provenSetup(t, fixedVerifier{state: evidence.Amber, detail: "simulated quote"})
	sent, err := svc.Send(context.Background(), u.ID, uuid.Nil, "Hello there", "")
	if err != nil {
		t.Fatal(err)
	}
	if snap := wait(t, svc, u.ID, sent.Assistant.ID); snap.Status != store.StatusComplete {
		t.Fatalf("status %s", snap.Status)
	}
	v := waitVerification(t, st, u.ID, sent.Assistant.ID)
	if v.State != store.VerificationAmber || v.Signature == "" || v.Text == "" || v.SigningAddress == "" || v.ReportState != "amber" || len(v.ReportChecks) != 1 {
		t.Fatalf("verification = %+v", v)
	}
	if chats.Load() == 0 {
		t.Fatal("backend never asked")
	}
}

// TestVerdictComesWithTheEnd finds an answer's verdict stored as soon as
// the answer shows complete: the check ran before the end was written,
// and went into the same write.
func TestVerdictComesWithTheEnd(t *testing.T) {
	// Generous, so that a slow test machine does not take the late path.
	svc, st, u, _ := provenSetupSlowSignatures(t, fixedVerifier{state: evidence.Amber, detail: "simulated quote"}, 0, 20*time.Second)
	for i := range 5 {
		sent, err := svc.Send(context.Background(), u.ID, uuid.Nil, fmt.Sprintf("Hello there, number %d", i), "")
		if err != nil {
			t.Fatal(err)
		}
		if snap := wait(t, svc, u.ID, sent.Assistant.ID); snap.Status != store.StatusComplete {
			t.Fatalf("status %s", snap.Status)
		}
		v, err := st.AnswerVerification(context.Background(), u.ID, sent.Assistant.ID)
		if err != nil || v.State != store.VerificationAmber || v.Signature == "" {
			t.Fatalf("answer %d: verdict at its end = %+v, %v", i, v, err)
		}
	}
}

// TestSlowVerdictLandsLater has a backend slow to sign: the answer ends
// without waiting for it, and the verdict is stored when it comes.
func TestSlowVerdictLandsLater(t *testing.T) {
	svc, st, u, _ := provenSetupSlowSignatures(t, fixedVerifier{state: evidence.Amber, detail: "simulated quote"}, 3*time.Second, 100*time.Millisecond)
	sent, err := svc.Send(context.Background(), u.ID, uuid.Nil, "Hello there", "")
	if err != nil {
		t.Fatal(err)
	}
	if snap := wait(t, svc, u.ID, sent.Assistant.ID); snap.Status != store.StatusComplete {
		t.Fatalf("status %s", snap.Status)
	}
	// Had the end waited for the signature, the verdict would be there.
	if _, err := st.AnswerVerification(context.Background(), u.ID, sent.Assistant.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("verdict before the backend signed: %v, want none yet", err)
	}
	if v := waitVerification(t, st, u.ID, sent.Assistant.ID); v.State != store.VerificationAmber || v.Signature == "" {
		t.Fatalf("late verdict = %+v", v)
	}
}

func TestRedBackendGetsNothing(t *testing.T) {
	svc, st, u, chats := provenSetup(t, fixedVerifier{state: evidence.Red, detail: "quote verification not available"})
	sent, err := svc.Send(context.Background(), u.ID, uuid.Nil, "My secret question", "")
	if err != nil {
		t.Fatal(err)
	}
	snap := wait(t, svc, u.ID, sent.Assistant.ID)
	if snap.Status != store.StatusFailed || snap.ErrorCode != chat.CodeBackendUnverified {
		t.Fatalf("answer ended %s/%s, want failed/%s", snap.Status, snap.ErrorCode, chat.CodeBackendUnverified)
	}
	if n := chats.Load(); n != 0 {
		t.Fatalf("a red backend got %d chat requests", n)
	}
	m, err := st.Message(context.Background(), u.ID, sent.User.ID)
	if err != nil || m.Content != "My secret question" {
		t.Fatalf("user message not kept: %v %q", err, m.Content)
	}
	v, err := st.AnswerVerification(context.Background(), u.ID, sent.Assistant.ID)
	if err != nil || v.State != store.VerificationRed || v.Reason != "quote verification not available" {
		t.Fatalf("refusal reason: %v %+v", err, v)
	}
}
