package inference_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"confidant/inference"
	"confidant/inference/simbackend"
)

// Failures a backend can show before the first token.
func fail503(n int, w http.ResponseWriter, _ *http.Request) bool {
	if n > 1 {
		return false
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	w.Write([]byte(`{"error":{"message":"overloaded","type":"server_error","code":"overloaded"}}`))
	return true
}

func fail400(_ int, w http.ResponseWriter, _ *http.Request) bool {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	w.Write([]byte(`{"object":"error","message":"bad","type":"BadRequestError","code":400}`))
	return true
}

func stall(_ int, w http.ResponseWriter, r *http.Request) bool {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	http.NewResponseController(w).Flush()
	<-r.Context().Done()
	return true
}

func TestStreamRetriesBeforeFirstToken(t *testing.T) {
	tests := []struct {
		name         string
		first        func(n int, w http.ResponseWriter, r *http.Request) bool
		refused      bool   // the first URL refuses connections
		user         string // last user message
		wantErr      error
		wantStatus   int
		wantAttempts int
		wantSecond   int32 // requests the second backend saw
	}{
		{name: "connection refused", refused: true, user: "say hi", wantAttempts: 2, wantSecond: 1},
		{name: "503 once", first: fail503, user: "say hi", wantAttempts: 2, wantSecond: 1},
		{name: "stalled", first: stall, user: "say hi", wantAttempts: 2, wantSecond: 1},
		{name: "400 is final", first: fail400, user: "say hi", wantErr: &inference.StatusError{}, wantStatus: 400, wantAttempts: 1},
		{name: "broken before first token everywhere", user: "talk [[sim:fail-after=0]]",
			wantErr: inference.ErrUnavailable, wantAttempts: 3, wantSecond: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			first := newBackend(t, simbackend.Options{})
			first.before = tc.first
			second := newBackend(t, simbackend.Options{})
			firstURL := first.URL
			if tc.refused {
				firstURL = refusedURL(t)
			}
			c := newClient(t, inference.Config{StreamIdleTimeout: 200 * time.Millisecond}, firstURL, second.URL)
			var deltas []inference.Delta
			res, err := c.Stream(context.Background(), chat(tc.user), collect(&deltas))
			if res.Attempts != tc.wantAttempts || second.chats.Load() != tc.wantSecond {
				t.Errorf("attempts %d (want %d), second backend saw %d (want %d)",
					res.Attempts, tc.wantAttempts, second.chats.Load(), tc.wantSecond)
			}
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if res.Content != "hi" || joinContent(deltas) != "hi" || res.BaseURL != second.URL || c.Preferred() != second.URL {
					t.Errorf("content %q from %s, preferred %s", res.Content, res.BaseURL, c.Preferred())
				}
				return
			}
			if errors.Is(err, inference.ErrInterrupted) || len(deltas) != 0 {
				t.Errorf("err = %v after %d deltas", err, len(deltas))
			}
			var se *inference.StatusError
			switch want := tc.wantErr.(type) {
			case *inference.StatusError:
				if !errors.As(err, &se) || se.Status != tc.wantStatus || se.Message != "bad" {
					t.Errorf("err = %v, want status %d", err, tc.wantStatus)
				}
			default:
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want %v", err, want)
				}
			}
		})
	}
}

func TestCompleteRetries(t *testing.T) {
	good := newBackend(t, simbackend.Options{})
	c := newClient(t, inference.Config{}, refusedURL(t), good.URL)
	res, err := c.Complete(context.Background(), chat("say hello there"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Content != "hello there" || res.Attempts != 2 || res.BaseURL != good.URL || res.FinishReason != "stop" {
		t.Errorf("result = %+v", res)
	}

	failing := newBackend(t, simbackend.Options{})
	c = newClient(t, inference.Config{}, failing.URL)
	_, err = c.Complete(context.Background(), chat("x [[sim:fail-after=1]]"))
	var se *inference.StatusError
	if !errors.Is(err, inference.ErrUnavailable) || !errors.As(err, &se) || se.Status != 500 || se.Code != "sim_fail_after" {
		t.Errorf("err = %v, want ErrUnavailable wrapping a 500", err)
	}
	if n := failing.chats.Load(); n != 2 {
		t.Errorf("one URL got %d tries, want 2", n)
	}
}

func TestHealthy(t *testing.T) {
	good := newBackend(t, simbackend.Options{})
	c := newClient(t, inference.Config{}, refusedURL(t), good.URL)
	got, err := c.Healthy(context.Background())
	if err != nil || got != good.URL || c.Preferred() != good.URL {
		t.Errorf("Healthy = %q, %v; preferred %q", got, err, c.Preferred())
	}
	c = newClient(t, inference.Config{}, refusedURL(t))
	if _, err := c.Healthy(context.Background()); !errors.Is(err, inference.ErrUnavailable) {
		t.Errorf("no backend: %v", err)
	}
}

func TestAPIKey(t *testing.T) {
	b := newBackend(t, simbackend.Options{APIKey: "secret"})
	ok := newClient(t, inference.Config{APIKey: "secret"}, b.URL)
	if _, err := ok.Complete(context.Background(), chat("say hi")); err != nil {
		t.Errorf("with key: %v", err)
	}
	if _, err := ok.Embed(context.Background(), simbackend.EmbedModel, []string{"x"}); err != nil {
		t.Errorf("embed with key: %v", err)
	}
	bad := newClient(t, inference.Config{APIKey: "wrong"}, b.URL)
	_, err := bad.Stream(context.Background(), chat("say hi"), func(inference.Delta) error { return nil })
	var se *inference.StatusError
	if !errors.As(err, &se) || se.Status != 401 {
		t.Errorf("wrong key: %v", err)
	}
	if n := b.chats.Load(); n != 2 {
		t.Errorf("401 was retried: %d chat requests", n)
	}
}
