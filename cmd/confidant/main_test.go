package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"confidant/enclave"
	"confidant/internal/testdb"
	"confidant/store"
)

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"version"}, exitOK, "confidant dev"},
		{[]string{"help"}, exitOK, "commands:"},
		{[]string{"frobnicate"}, exitUsage, "unknown command"},
		{[]string{"migrate"}, exitUsage, "migrate takes"},
		{[]string{"keys"}, exitUsage, "keys takes"},
		{[]string{"keys", "rotate", "-batch", "0"}, exitUsage, "keys rotate"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tt.args, func(string) string { return "" }, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stdout.String()+stderr.String(), tt.out) {
			t.Errorf("%v: code %d, output %q", tt.args, code, stdout.String()+stderr.String())
		}
	}
}

func TestBadConfigExitsWithError(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := map[string]string{"CONFIDANT_ORIGIN": "http://127.0.0.1:8080", "CONFIDANT_ENCLAVE": "sgx"}
	code := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != exitError || !strings.Contains(stderr.String(), "IP address") || !strings.Contains(stderr.String(), "CONFIDANT_ENCLAVE") {
		t.Fatalf("code %d: %s", code, stderr.String())
	}
}

func TestRequireTEERefusesSimulated(t *testing.T) {
	_, url := testdb.NewWithURL(t)
	var stdout, stderr bytes.Buffer
	env := map[string]string{"DATABASE_URL": url, "CONFIDANT_DATA_DIR": t.TempDir(), "CONFIDANT_REQUIRE_TEE": "1", "CONFIDANT_ADDR": "127.0.0.1:0",
		"CONFIDANT_BACKEND_URL": "https://gpu.example", "CONFIDANT_BACKEND_ALLOW": "mrtd=" + strings.Repeat("ab", 48)}
	code := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != exitError || !strings.Contains(strings.ToLower(stderr.String()), "tee") || strings.Contains(stderr.String(), "configuration") {
		t.Fatalf("code %d: %s", code, stderr.String())
	}
}

func TestMigrateAndKeysRotate(t *testing.T) {
	pool, url := testdb.NewWithURL(t)
	dataDir := t.TempDir()
	env := map[string]string{"DATABASE_URL": url, "CONFIDANT_DATA_DIR": dataDir, "CONFIDANT_ENCLAVE": "simulated"}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()

	var out, errb bytes.Buffer
	if code := run(ctx, []string{"migrate", "status"}, getenv, &out, &errb); code != exitOK || !strings.Contains(out.String(), "applied") {
		t.Fatalf("migrate status: %d %s %s", code, out.String(), errb.String())
	}

	// Users created with the same simulated enclave the command will boot.
	enc, err := enclave.Boot(ctx, enclave.BootConfig{Mode: "simulated", DataDir: dataDir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(pool, enc.Keyring, enc.Tombstones)
	for _, name := range []string{"alice", "bob", "carol"} {
		if err := st.CreateUser(ctx, store.User{ID: uuid.New(), Username: name, DisplayName: name}); err != nil {
			t.Fatal(err)
		}
	}
	out.Reset()
	if code := run(ctx, []string{"keys", "rotate", "-batch", "2"}, getenv, &out, &errb); code != exitOK {
		t.Fatalf("keys rotate: %d %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "done: 3 data keys now under KEK version 2") {
		t.Fatalf("output: %s", out.String())
	}
	if u, err := st.UserByUsername(ctx, "bob"); err != nil || u.DisplayName != "bob" {
		t.Fatalf("after rotation: %+v %v", u, err)
	}
}
