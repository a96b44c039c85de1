package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/uuid"

	"confidant/portability/bundle"
)

// writeSampleBundle writes a small account bundle to path, encrypted to
// recipient (nil: plain), and returns the id and bytes of its document.
func writeSampleBundle(t *testing.T, path string, recipient age.Recipient) (uuid.UUID, []byte) {
	t.Helper()
	var buf bytes.Buffer
	m := bundle.Manifest{CreatedAt: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC), Source: bundle.Source{Origin: "https://c.example", Version: "v1", Commit: "abc"},
		User: bundle.User{ID: uuid.New(), Username: "alice", DisplayName: "Alice"}}
	var w *bundle.Writer
	var err error
	if recipient != nil {
		w, err = bundle.NewEncryptedWriter(&buf, m, recipient)
	} else {
		w, err = bundle.NewWriter(&buf, m)
	}
	if err != nil {
		t.Fatal(err)
	}
	conv := uuid.New()
	doc := uuid.New()
	original := []byte("%PDF-1.7 the original\x00\xff")
	steps := []error{
		w.WriteConversation(bundle.Conversation{ID: conv, Title: "Trip"}),
		w.WriteMessage(bundle.Message{ID: uuid.New(), ConversationID: conv, Role: "user", Content: "hi", State: "complete"}),
		w.WriteMessage(bundle.Message{ID: uuid.New(), ConversationID: conv, Role: "assistant", Content: "hello", State: "complete"}),
		w.WriteMessage(bundle.Message{ID: uuid.New(), ConversationID: conv, Role: "user", Content: "bye", State: "complete"}),
		w.WriteDocument(bundle.Document{ID: doc, Name: "a.pdf", Kind: "pdf", SizeBytes: int64(len(original)), File: bundle.DocumentFileName(doc)}),
		w.WriteSettings(bundle.Settings{Instructions: "brief"}),
		w.WriteDocumentFile(doc, int64(len(original)), bytes.NewReader(original)),
		w.Close(),
	}
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return doc, original
}

func TestBundleCommand(t *testing.T) {
	dir := t.TempDir()
	const pass = "correct horse battery staple"
	passRecipient, err := bundle.PassphraseRecipient(pass, 10)
	if err != nil {
		t.Fatal(err)
	}
	key, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "key.txt")
	if err := os.WriteFile(keyFile, []byte("# created: now\n"+key.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withPass := filepath.Join(dir, "export.age")
	docID, original := writeSampleBundle(t, withPass, passRecipient)
	withKey := filepath.Join(dir, "key-export.age")
	writeSampleBundle(t, withKey, key.Recipient())
	plain := filepath.Join(dir, "plain.tar")
	writeSampleBundle(t, plain, nil)
	data, _ := os.ReadFile(withPass)
	truncated := filepath.Join(dir, "truncated.age")
	if err := os.WriteFile(truncated, data[:len(data)-40], 0o600); err != nil {
		t.Fatal(err)
	}
	notBundle := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notBundle, []byte(strings.Repeat("just some notes\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	traversal := filepath.Join(dir, "evil.tar")
	writeEvilBundle(t, traversal)

	env := map[string]string{passphraseEnv: pass}
	wrongEnv := map[string]string{passphraseEnv: "not the passphrase"}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		code int
		out  []string // expected in stdout
		err  string   // expected in stderr
	}{
		{"inspect with the passphrase", []string{"bundle", "inspect", withPass}, env, exitOK,
			[]string{"confidant-bundle version 1", "alice (Alice)", "messages               3", "document files         1", "checksums              verified"}, ""},
		{"inspect with an identity file", []string{"bundle", "inspect", withKey, "--identity", keyFile}, nil, exitOK, []string{"conversations          1"}, ""},
		{"inspect a plain bundle", []string{"bundle", "inspect", plain}, nil, exitOK, []string{"checksums              verified"}, ""},
		{"inspect as JSON", []string{"bundle", "inspect", "--json", withPass}, env, exitOK, []string{`"checksums_verified": true`, `"messages": 3`}, ""},
		{"wrong passphrase", []string{"bundle", "inspect", withPass}, wrongEnv, exitError, nil, "wrong passphrase or key"},
		{"passphrase for a key bundle", []string{"bundle", "inspect", withKey}, env, exitError, nil, "wrong passphrase or key"},
		{"no passphrase and no terminal", []string{"bundle", "inspect", withPass}, nil, exitUsage, nil, "set CONFIDANT_PASSPHRASE"},
		{"truncated", []string{"bundle", "inspect", truncated}, env, exitError, nil, "incomplete"},
		{"not a bundle", []string{"bundle", "inspect", notBundle}, nil, exitError, nil, "not a Confidant bundle"},
		{"unsafe entry", []string{"bundle", "inspect", traversal}, nil, exitError, nil, "unsafe"},
		{"missing file", []string{"bundle", "inspect", filepath.Join(dir, "nope.age")}, env, exitError, nil, "no such file"},
		{"no subcommand", []string{"bundle"}, nil, exitUsage, nil, "bundle inspect FILE"},
		{"unknown subcommand", []string{"bundle", "open", withPass}, nil, exitUsage, nil, "bundle inspect FILE"},
		{"two files", []string{"bundle", "inspect", withPass, withKey}, env, exitUsage, nil, "bundle inspect FILE"},
		{"unknown flag", []string{"bundle", "decrypt", withPass, "--json"}, env, exitUsage, nil, "bundle inspect FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, func(k string) string { return tt.env[k] }, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, want := range tt.out {
				if !strings.Contains(stdout.String(), want) {
					t.Fatalf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			if !strings.Contains(stderr.String(), tt.err) {
				t.Fatalf("stderr lacks %q:\n%s", tt.err, stderr.String())
			}
		})
	}

	t.Run("decrypt", func(t *testing.T) {
		out := filepath.Join(dir, "unpacked")
		var stdout, stderr bytes.Buffer
		getenv := func(k string) string { return env[k] }
		if code := run(context.Background(), []string{"bundle", "decrypt", withPass, "--out", out}, getenv, &stdout, &stderr); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		got, err := os.ReadFile(filepath.Join(out, "documents", docID.String()))
		if err != nil || !bytes.Equal(got, original) {
			t.Fatalf("document original: %q %v", got, err)
		}
		// Every file matches checksums.json, as sha256sum -c would check.
		var sums bundle.Checksums
		raw, err := os.ReadFile(filepath.Join(out, bundle.ChecksumsName))
		if err != nil || json.Unmarshal(raw, &sums) != nil || len(sums.Files) != 6 {
			t.Fatalf("checksums.json: %s %v", raw, err)
		}
		for _, f := range sums.Files {
			data, err := os.ReadFile(filepath.Join(out, f.Name))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if hex.EncodeToString(sum[:]) != f.SHA256 {
				t.Fatalf("%s does not match its checksum", f.Name)
			}
		}
		// Never over what exists.
		stderr.Reset()
		if code := run(context.Background(), []string{"bundle", "decrypt", withPass, "--out", out}, getenv, &stdout, &stderr); code != exitError || !strings.Contains(stderr.String(), "already exists") {
			t.Fatalf("decrypt over an existing directory: exit %d %s", code, stderr.String())
		}
	})

	t.Run("decrypt refuses a damaged or hostile bundle and leaves nothing", func(t *testing.T) {
		for _, file := range []string{truncated, traversal} {
			work := t.TempDir()
			out := filepath.Join(work, "out")
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"bundle", "decrypt", file, "--out", out}, func(k string) string { return env[k] }, &stdout, &stderr)
			if code != exitError {
				t.Fatalf("%s: exit %d", filepath.Base(file), code)
			}
			left, _ := os.ReadDir(work)
			if len(left) != 0 {
				t.Fatalf("%s: left %v behind", filepath.Base(file), left)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "escaped")); err == nil {
			t.Fatal("a bundle entry was written outside the output directory")
		}
	})
}

// writeEvilBundle writes a plain bundle whose second entry climbs out of
// the output directory.
func writeEvilBundle(t *testing.T, path string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	manifest := `{"format":"confidant-bundle","version":1,"created_at":"2026-11-27T03:00:00Z","user":{"id":"00000000-0000-0000-0000-000000000001","username":"a"}}`
	for _, e := range []struct{ name, body string }{{bundle.ManifestName, manifest}, {"../escaped", "gotcha"}} {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Size: int64(len(e.body)), Mode: 0o600, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
