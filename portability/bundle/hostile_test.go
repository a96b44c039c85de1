package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/google/uuid"
)

// entry is one tar entry of a hand-made bundle.
type entry struct {
	name     string
	body     string
	typeflag byte
	size     int64 // declared size when it should differ from len(body)
	linkname string
}

// craft writes entries as a tar stream; with trailer it appends a
// checksums.json that matches them.
func craft(t *testing.T, entries []entry, trailer bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	var sums Checksums
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Size: int64(len(e.body)), Mode: 0o600, Typeflag: tar.TypeReg}
		if e.typeflag != 0 {
			hdr.Typeflag, hdr.Linkname, hdr.Size = e.typeflag, e.linkname, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(e.body))
		sums.Files = append(sums.Files, FileSum{Name: e.name, Size: int64(len(e.body)), SHA256: hex.EncodeToString(sum[:]), Records: int64(strings.Count(e.body, "\n")) * b2i(strings.HasSuffix(e.name, ".jsonl"))})
	}
	if trailer {
		data, _ := json.Marshal(sums)
		if err := tw.WriteHeader(&tar.Header{Name: ChecksumsName, Size: int64(len(data)), Mode: 0o600, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

const goodManifest = `{"format":"confidant-bundle","version":1,"created_at":"2026-11-27T03:00:00Z","source":{"origin":"x","version":"v","commit":"c"},"user":{"id":"00000000-0000-0000-0000-000000000001","username":"a","display_name":"A","created_at":"2026-11-27T03:00:00Z"},"connector_credentials":false}`

func manifestEntry() entry { return entry{name: ManifestName, body: goodManifest} }

// validBundle is a small, correct plain bundle.
func validBundle(t *testing.T) []byte {
	t.Helper()
	s := newSample(200)
	var buf bytes.Buffer
	w, err := NewWriter(&buf, s.manifest)
	if err != nil {
		t.Fatal(err)
	}
	s.write(t, w)
	return buf.Bytes()
}

func readErr(data []byte, limits Limits) error {
	r, err := NewReader(bytes.NewReader(data), limits)
	if err != nil {
		return err
	}
	_, err = readAll(r)
	return err
}

// readEntriesErr reads a bundle with NextEntry, as `bundle decrypt` does.
func readEntriesErr(data []byte, limits Limits) error {
	r, err := NewReader(bytes.NewReader(data), limits)
	if err != nil {
		return err
	}
	for {
		e, err := r.NextEntry()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, e.Body); err != nil {
			return err
		}
	}
}

func TestHostilePlainBundles(t *testing.T) {
	valid := validBundle(t)
	docID := uuid.New()
	docLine := `{"id":"` + docID.String() + `","name":"d","kind":"text","size_bytes":3,"status":"ready","file":"documents/` + docID.String() + `","created_at":"2026-11-27T03:00:00Z","updated_at":"2026-11-27T03:00:00Z"}` + "\n"
	flipped := bytes.Clone(valid)
	// A byte inside the first messages part's content.
	i := bytes.Index(flipped, []byte("message 17 "))
	flipped[i+8] ^= 0x01
	tests := []struct {
		name    string
		data    []byte
		limits  Limits
		wantErr error
		// parsed: only a reader that parses records can tell.
		parsed bool
	}{
		{"empty input", nil, Limits{}, ErrNotBundle, false},
		{"not a tar", []byte(strings.Repeat("hello world\n", 100)), Limits{}, ErrNotBundle, false},
		{"truncated in the middle", valid[:len(valid)/2], Limits{}, ErrTruncated, false},
		{"truncated before the trailer", craft(t, []entry{manifestEntry(), {name: "messages-000001.jsonl", body: "{}\n"}}, false), Limits{}, ErrTruncated, false},
		{"a flipped byte", flipped, Limits{}, ErrChecksum, false},
		{"manifest not first", craft(t, []entry{{name: SettingsName, body: "{}"}, manifestEntry()}, true), Limits{}, ErrNotBundle, false},
		{"other format", craft(t, []entry{{name: ManifestName, body: `{"format":"zip","version":1}`}}, true), Limits{}, ErrNotBundle, false},
		{"unsupported version", craft(t, []entry{{name: ManifestName, body: strings.Replace(goodManifest, `"version":1`, `"version":2`, 1)}}, true), Limits{}, ErrUnsupportedVersion, false},
		{"path traversal", craft(t, []entry{manifestEntry(), {name: "../../etc/passwd", body: "root"}}, true), Limits{}, ErrUnsafeEntry, false},
		{"absolute path", craft(t, []entry{manifestEntry(), {name: "/tmp/x", body: "x"}}, true), Limits{}, ErrUnsafeEntry, false},
		{"traversal inside documents", craft(t, []entry{manifestEntry(), {name: "documents/../../x", body: "x"}}, true), Limits{}, ErrUnsafeEntry, false},
		{"unknown kind", craft(t, []entry{manifestEntry(), {name: "secrets-000001.jsonl", body: "{}\n"}}, true), Limits{}, ErrUnsafeEntry, false},
		{"symlink", craft(t, []entry{manifestEntry(), {name: "documents/x", typeflag: tar.TypeSymlink, linkname: "/etc/passwd"}}, true), Limits{}, ErrUnsafeEntry, false},
		{"directory", craft(t, []entry{manifestEntry(), {name: "documents/", typeflag: tar.TypeDir}}, true), Limits{}, ErrUnsafeEntry, false},
		{"part out of order", craft(t, []entry{manifestEntry(), {name: "messages-000002.jsonl", body: "{}\n"}}, true), Limits{}, ErrCorrupt, false},
		{"entry repeated", craft(t, []entry{manifestEntry(), {name: SettingsName, body: "{}"}, {name: SettingsName, body: "{}"}}, true), Limits{}, ErrCorrupt, false},
		{"record not JSON", craft(t, []entry{manifestEntry(), {name: "messages-000001.jsonl", body: "not json\n"}}, true), Limits{}, ErrCorrupt, true},
		{"record without newline", craft(t, []entry{manifestEntry(), {name: "messages-000001.jsonl", body: "{}"}}, true), Limits{}, ErrCorrupt, true},
		{"file without a record", craft(t, []entry{manifestEntry(), {name: DocumentFileName(docID), body: "abc"}}, true), Limits{}, ErrCorrupt, true},
		{"file of another size", craft(t, []entry{manifestEntry(), {name: "documents-000001.jsonl", body: docLine}, {name: DocumentFileName(docID), body: "abcd"}}, true), Limits{}, ErrCorrupt, true},
		{"record pointing elsewhere", craft(t, []entry{manifestEntry(), {name: "documents-000001.jsonl", body: strings.Replace(docLine, `"file":"documents/`, `"file":"../`, 1)}}, true), Limits{}, ErrUnsafeEntry, true},
		{"declared file missing", craft(t, []entry{manifestEntry(), {name: "documents-000001.jsonl", body: docLine}}, true), Limits{}, ErrCorrupt, true},
		{"entry after the trailer", append(craft(t, []entry{manifestEntry()}, true)[:0:0], craftAfterTrailer(t)...), Limits{}, ErrUnsafeEntry, false},
		{"checksum list differs", craftBadTrailer(t), Limits{}, ErrChecksum, false},
		{"huge entry", craft(t, []entry{manifestEntry(), {name: "messages-000001.jsonl", body: strings.Repeat("{}\n", 2000)}}, true), Limits{MaxPartBytes: 1000}, ErrTooLarge, false},
		{"huge file", craft(t, []entry{manifestEntry(), {name: "documents-000001.jsonl", body: docLine}, {name: DocumentFileName(docID), body: "abc"}}, true), Limits{MaxFileBytes: 2}, ErrTooLarge, false},
		{"huge record", craft(t, []entry{manifestEntry(), {name: "messages-000001.jsonl", body: `{"content":"` + strings.Repeat("a", 5000) + "\"}\n"}}, true), Limits{MaxRecordBytes: 1000}, ErrTooLarge, true},
		{"huge total", valid, Limits{MaxTotalBytes: 10_000}, ErrTooLarge, false},
		{"too many entries", valid, Limits{MaxEntries: 3}, ErrTooManyEntries, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := readErr(tt.data, tt.limits)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if tt.parsed {
				return
			}
			if err := readEntriesErr(tt.data, tt.limits); !errors.Is(err, tt.wantErr) {
				t.Fatalf("NextEntry: error %v, want %v", err, tt.wantErr)
			}
		})
	}
	if err := readEntriesErr(valid, Limits{}); err != nil {
		t.Fatalf("NextEntry on a valid bundle: %v", err)
	}
}

// craftAfterTrailer is a valid bundle with one more entry after checksums.json.
func craftAfterTrailer(t *testing.T) []byte {
	data := craft(t, []entry{manifestEntry()}, true)
	// Drop the two zero blocks that end the archive and append an entry.
	data = data[:len(data)-1024]
	var buf bytes.Buffer
	buf.Write(data)
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "messages-000001.jsonl", Size: 3, Mode: 0o600, Typeflag: tar.TypeReg})
	tw.Write([]byte("{}\n"))
	tw.Close()
	return buf.Bytes()
}

// craftBadTrailer lists a different sum for the manifest.
func craftBadTrailer(t *testing.T) []byte {
	sums := Checksums{Files: []FileSum{{Name: ManifestName, Size: int64(len(goodManifest)), SHA256: strings.Repeat("0", 64)}}}
	data, _ := json.Marshal(sums)
	return craft(t, []entry{manifestEntry(), {name: ChecksumsName, body: string(data)}}, false)
}

func TestHostileEncryptedBundles(t *testing.T) {
	s := newSample(20_000) // several age chunks
	key, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := NewEncryptedWriter(&buf, s.manifest, key.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	s.write(t, w)
	enc := buf.Bytes()
	other, _ := age.GenerateX25519Identity()
	wrongPass, _ := PassphraseIdentity("not the passphrase at all")
	corrupt := bytes.Clone(enc)
	corrupt[len(corrupt)/2] ^= 0x40
	tests := []struct {
		name     string
		data     []byte
		identity age.Identity
		wantErr  error
	}{
		{"wrong key", enc, other, ErrWrongPassphrase},
		{"passphrase for a key bundle", enc, wrongPass, ErrWrongPassphrase},
		{"plain tar is not age", validBundle(t), key, ErrNotBundle},
		{"a zip file", append([]byte("PK\x03\x04"), bytes.Repeat([]byte{0}, 4096)...), key, ErrNotBundle},
		{"corrupt chunk", corrupt, key, ErrCorrupt},
		{"truncated at half", enc[:len(enc)/2], key, ErrTruncated},
		{"truncated by one byte", enc[:len(enc)-1], key, ErrTruncated},
		{"truncated at a chunk boundary", truncateAtChunk(enc), key, ErrTruncated},
		{"header only", enc[:200], key, ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewEncryptedReader(bytes.NewReader(tt.data), Limits{}, tt.identity)
			if err == nil {
				_, err = readAll(r)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
		})
	}
	t.Run("wrong passphrase", func(t *testing.T) {
		pass, _ := PassphraseRecipient("the right passphrase", 10)
		var buf bytes.Buffer
		w, err := NewEncryptedWriter(&buf, s.manifest, pass)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		_, err = NewEncryptedReader(bytes.NewReader(buf.Bytes()), Limits{}, wrongPass)
		if !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("error %v, want ErrWrongPassphrase", err)
		}
	})
}

// truncateAtChunk cuts an age file right after its first full payload
// chunk (header, 16-byte nonce, then 64 KiB + 16 chunks).
func truncateAtChunk(enc []byte) []byte {
	header := bytes.Index(enc, []byte("\n---"))
	end := header + bytes.IndexByte(enc[header+1:], '\n') + 2
	return enc[:end+16+64*1024+16]
}

func TestWriterRefusesMisuse(t *testing.T) {
	id := uuid.New()
	tests := []struct {
		name string
		fn   func(w *Writer) error
	}{
		{"file without record", func(w *Writer) error { return w.WriteDocumentFile(id, 3, strings.NewReader("abc")) }},
		{"file shorter than declared", func(w *Writer) error {
			if err := w.WriteDocument(Document{ID: id, File: DocumentFileName(id), SizeBytes: 5}); err != nil {
				return err
			}
			return w.WriteDocumentFile(id, 5, strings.NewReader("abc"))
		}},
		{"file name not its own", func(w *Writer) error { return w.WriteDocument(Document{ID: id, File: "../x"}) }},
		{"declared file never written", func(w *Writer) error {
			if err := w.WriteDocument(Document{ID: id, File: DocumentFileName(id), SizeBytes: 5}); err != nil {
				return err
			}
			return w.Close()
		}},
		{"record too large", func(w *Writer) error {
			return w.WriteMessage(Message{Content: strings.Repeat("x", MaxRecordBytes)})
		}},
		{"settings twice", func(w *Writer) error {
			if err := w.WriteSettings(Settings{}); err != nil {
				return err
			}
			return w.WriteSettings(Settings{})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWriter(io.Discard, Manifest{})
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.fn(w); err == nil {
				t.Fatal("accepted")
			}
			if err := w.Close(); err == nil {
				t.Fatal("Close after a failed write succeeded")
			}
		})
	}
}

func TestPassphraseAndRecipientValidation(t *testing.T) {
	if _, err := PassphraseRecipient("short", 10); !errors.Is(err, ErrWeakPassphrase) {
		t.Fatalf("short passphrase: %v", err)
	}
	for _, bad := range []string{"", "age1", "AGE-SECRET-KEY-1XYZ", "ssh-ed25519 AAAA", "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"} {
		if _, err := ParseRecipient(bad); !errors.Is(err, ErrBadRecipient) {
			t.Fatalf("ParseRecipient(%q): %v", bad, err)
		}
	}
}
