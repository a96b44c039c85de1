package imports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/connectors"
	"confidant/internal/testdb"
	"confidant/portability/bundle"
	"confidant/portability/imports"
	"confidant/store"
)

// TestImportBundleConnectors connects again the accounts whose credentials
// travelled, under the destination's own Connect (its validation and
// network policy), counts the others for the person, and connects nothing
// twice when the same bundle comes again.
func TestImportBundleConnectors(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	kr, reg := testdb.Keys(t)
	st := store.New(pool, kr, reg)
	ctx := context.Background()
	user := newUser(t, st, "mover")

	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, bundle.Manifest{Source: bundle.Source{Origin: "https://a.example"},
		User: bundle.User{ID: uuid.New(), Username: "mover", CreatedAt: time.Now()}, ConnectorCredentials: true})
	must(t, err)
	withPassword := bundle.Connector{ID: uuid.New(), Kind: "imap", Name: "me on imap.example.org", CreatedAt: time.Now(),
		Settings:    raw(map[string]any{"kind": "imap", "host": "imap.example.org", "port": 993, "security": "tls", "username": "me"}),
		Credentials: raw(map[string]any{"password": "app-password"})}
	withoutPassword := bundle.Connector{ID: uuid.New(), Kind: "caldav", CreatedAt: time.Now(),
		Settings: raw(map[string]any{"kind": "caldav", "url": "https://dav.example.org/", "username": "me"})}
	refused := bundle.Connector{ID: uuid.New(), Kind: "imap", CreatedAt: time.Now(),
		Settings:    raw(map[string]any{"kind": "imap", "host": "10.0.0.1", "port": 993, "security": "tls", "username": "me"}),
		Credentials: raw(map[string]any{"password": "app-password"})}
	for _, c := range []bundle.Connector{withPassword, withoutPassword, refused} {
		must(t, w.WriteConnector(c))
	}
	must(t, w.Close())

	var connected []connectors.Settings
	b := &imports.Bundles{Store: st, Connect: func(_ context.Context, userID uuid.UUID, s connectors.Settings) (uuid.UUID, error) {
		if userID != user {
			t.Errorf("connected for %v, want %v", userID, user)
		}
		if s.Host == "10.0.0.1" {
			return uuid.Nil, errors.New("private address refused")
		}
		connected = append(connected, s)
		return uuid.New(), nil
	}}
	counts, err := b.Import(ctx, user, buf.Bytes(), imports.BundleSource{})
	must(t, err)
	want := connectors.Settings{Kind: connectors.KindIMAP, Host: "imap.example.org", Port: 993, Security: connectors.SecurityTLS,
		Username: "me", Password: "app-password"}
	if len(connected) != 1 || connected[0] != want {
		t.Fatalf("connected %+v, want only %+v", connected, want)
	}
	if counts.Connectors != 1 || counts.ConnectorsSkipped != 2 {
		t.Fatalf("counts = %+v, want 1 connected and 2 for the person to connect", counts)
	}

	counts, err = b.Import(ctx, user, buf.Bytes(), imports.BundleSource{})
	must(t, err)
	if len(connected) != 1 || counts.Connectors != 0 || counts.ConnectorsKnown != 1 {
		t.Fatalf("second import connected %d in all, counts %+v: want nothing new", len(connected), counts)
	}
}
