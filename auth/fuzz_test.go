package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"confidant/auth"
	"confidant/internal/softauthn"
	"confidant/internal/testdb"
)

// fuzzService builds a service with one account outside a *testing.T
// fixture, since fuzz targets set up through *testing.F.
func fuzzService(f *testing.F) (*auth.Service, *softauthn.Authenticator) {
	st := testdb.NewStore(f)
	svc, err := auth.New(st, auth.Options{RPID: "localhost", Origin: origin, Now: time.Now})
	if err != nil {
		f.Fatal(err)
	}
	a := softauthn.New(origin)
	ctx := context.Background()
	ch, err := svc.BeginSignup(ctx, auth.SignupRequest{Username: "alice", DisplayName: "Alice"})
	if err != nil {
		f.Fatal(err)
	}
	opts, _ := json.Marshal(ch.Options)
	resp, _, err := a.Create(opts)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := svc.FinishSignup(ctx, ch.ID, resp, ua); err != nil {
		f.Fatal(err)
	}
	return svc, a
}

// FuzzFinishLogin feeds arbitrary bytes as the browser's assertion. Every
// outcome must be a success or a person-facing *auth.Error: never a panic
// and never an internal error that a malformed request could trigger.
func FuzzFinishLogin(f *testing.F) {
	svc, a := fuzzService(f)
	ctx := context.Background()
	ch, _ := svc.BeginLogin(ctx, "")
	opts, _ := json.Marshal(ch.Options)
	valid, _ := a.Get(opts)
	f.Add(valid)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"","rawId":"","type":"public-key","response":{}}`))
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":"","userHandle":"AAAA"}}`))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ch, err := svc.BeginLogin(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.FinishLogin(ctx, ch.ID, body, ua)
		var authErr *auth.Error
		if err != nil && !errors.As(err, &authErr) {
			t.Fatalf("malformed assertion gave an internal error: %v", err)
		}
	})
}

// FuzzFinishSignup does the same for registration responses.
func FuzzFinishSignup(f *testing.F) {
	svc, _ := fuzzService(f)
	ctx := context.Background()
	ch, _ := svc.BeginSignup(ctx, auth.SignupRequest{Username: "seed", DisplayName: "Seed"})
	opts, _ := json.Marshal(ch.Options)
	valid, _, _ := softauthn.New(origin).Create(opts)
	f.Add(valid)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`))
	n := 0
	f.Fuzz(func(t *testing.T, body []byte) {
		n++
		ch, err := svc.BeginSignup(ctx, auth.SignupRequest{Username: "user" + string(rune('a'+n%26)) + time.Now().Format("150405.000000"), DisplayName: "Fuzz"})
		if err != nil {
			if errors.Is(err, auth.ErrBadUsername) {
				return
			}
			t.Fatal(err)
		}
		_, err = svc.FinishSignup(ctx, ch.ID, body, ua)
		var authErr *auth.Error
		if err != nil && !errors.As(err, &authErr) {
			t.Fatalf("malformed registration gave an internal error: %v", err)
		}
	})
}
