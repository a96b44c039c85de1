package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
)

// Part sizes: a record part is flushed once it holds PartTarget bytes, so
// a Writer holds at most one part (plus one record) in memory.
const (
	PartTarget = 4 << 20
	// MaxRecordBytes bounds one JSON line, on writing and on reading.
	MaxRecordBytes = 8 << 20
)

// Writer writes a bundle one record at a time. Records of one kind may be
// written in several runs; each run becomes one or more parts. Close writes
// the checksum trailer and must be called for the bundle to be valid.
type Writer struct {
	tw       *tar.Writer
	closer   io.Closer // the encryption layer under tw, if any
	modTime  time.Time
	sums     []FileSum
	records  map[Kind]int64
	parts    map[Kind]int
	current  Kind
	part     bytes.Buffer
	partRecs int64
	settings bool
	docs     map[uuid.UUID]int64 // declared files and their sizes
	closed   bool
	err      error
}

// NewWriter starts a plain (unencrypted) bundle on w and writes its
// manifest. Format, Version and a zero CreatedAt are filled in.
func NewWriter(w io.Writer, m Manifest) (*Writer, error) {
	m.Format, m.Version = FormatName, Version
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now()
	}
	m.CreatedAt = m.CreatedAt.UTC()
	bw := &Writer{
		tw:      tar.NewWriter(w),
		modTime: m.CreatedAt.Truncate(time.Second),
		records: map[Kind]int64{},
		parts:   map[Kind]int{},
		docs:    map[uuid.UUID]int64{},
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("bundle: manifest: %w", err)
	}
	if err := bw.writeEntry(ManifestName, append(data, '\n'), 0); err != nil {
		return nil, err
	}
	return bw, nil
}

// WriteConversation adds a conversation.
func (w *Writer) WriteConversation(c Conversation) error { return w.writeRecord(KindConversation, c) }

// WriteMessage adds a message; its conversation and parent must come first.
func (w *Writer) WriteMessage(m Message) error { return w.writeRecord(KindMessage, m) }

// WriteMemory adds a memory.
func (w *Writer) WriteMemory(m Memory) error { return w.writeRecord(KindMemory, m) }

// WriteCollection adds a document collection.
func (w *Writer) WriteCollection(c Collection) error { return w.writeRecord(KindCollection, c) }

// WriteDocument adds a document's record. Set d.File (DocumentFileName)
// when its original follows through WriteDocumentFile.
func (w *Writer) WriteDocument(d Document) error {
	if d.File != "" {
		if d.File != DocumentFileName(d.ID) {
			return w.fail(fmt.Errorf("bundle: document %s: file must be %q", d.ID, DocumentFileName(d.ID)))
		}
		w.docs[d.ID] = d.SizeBytes
	}
	return w.writeRecord(KindDocument, d)
}

// WriteChunk adds a passage of an ingested document; its document first.
func (w *Writer) WriteChunk(c Chunk) error { return w.writeRecord(KindChunk, c) }

// WriteAPIKey adds an API key's name and scopes.
func (w *Writer) WriteAPIKey(k APIKey) error { return w.writeRecord(KindAPIKey, k) }

// WriteConnector adds a connector.
func (w *Writer) WriteConnector(c Connector) error { return w.writeRecord(KindConnector, c) }

// WritePasskey adds a passkey's public credential.
func (w *Writer) WritePasskey(p Passkey) error { return w.writeRecord(KindPasskey, p) }

// WriteSettings writes settings.json; at most once.
func (w *Writer) WriteSettings(s Settings) error {
	if w.settings {
		return w.fail(errors.New("bundle: settings written twice"))
	}
	w.settings = true
	if err := w.flushPart(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return w.fail(fmt.Errorf("bundle: settings: %w", err))
	}
	return w.writeEntry(SettingsName, append(data, '\n'), 0)
}

// WriteDocumentFile streams a document's original bytes, exactly size of
// them from r. Its record, with File set, must have been written before.
func (w *Writer) WriteDocumentFile(id uuid.UUID, size int64, r io.Reader) error {
	if w.err != nil {
		return w.err
	}
	declared, ok := w.docs[id]
	if !ok {
		return w.fail(fmt.Errorf("bundle: document %s: file written without its record", id))
	}
	if declared != size {
		return w.fail(fmt.Errorf("bundle: document %s: %d bytes, record says %d", id, size, declared))
	}
	delete(w.docs, id)
	if err := w.flushPart(); err != nil {
		return err
	}
	name := DocumentFileName(id)
	if err := w.tw.WriteHeader(w.header(name, size)); err != nil {
		return w.fail(fmt.Errorf("bundle: %s: %w", name, err))
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w.tw, h), io.LimitReader(r, size))
	if err != nil {
		return w.fail(fmt.Errorf("bundle: %s: %w", name, err))
	}
	if n != size {
		return w.fail(fmt.Errorf("bundle: %s: %d of %d bytes: %w", name, n, size, io.ErrUnexpectedEOF))
	}
	w.sums = append(w.sums, FileSum{Name: name, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

// Records returns how many records of each kind were written so far.
func (w *Writer) Records() map[Kind]int64 {
	out := make(map[Kind]int64, len(w.records))
	for k, n := range w.records {
		out[k] = n
	}
	return out
}

// Close flushes the last part, writes checksums.json and ends the tar
// stream (and the encryption, for an encrypted Writer). After an earlier
// error it ends nothing: no trailer, no final encrypted chunk, so both
// Confidant's reader and the stock age tool see an incomplete file.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if err := w.flushPart(); err != nil {
		return err
	}
	if len(w.docs) > 0 {
		return w.fail(fmt.Errorf("bundle: %d declared document files were not written", len(w.docs)))
	}
	sums := Checksums{Files: w.sums, Records: w.records}
	data, err := json.MarshalIndent(sums, "", "  ")
	if err != nil {
		return w.fail(fmt.Errorf("bundle: checksums: %w", err))
	}
	if err := w.writeRawEntry(ChecksumsName, append(data, '\n')); err != nil {
		return err
	}
	if err := w.tw.Close(); err != nil {
		return w.fail(fmt.Errorf("bundle: close: %w", err))
	}
	if w.closer != nil {
		if err := w.closer.Close(); err != nil {
			return w.fail(fmt.Errorf("bundle: close encryption: %w", err))
		}
	}
	return nil
}

func (w *Writer) writeRecord(k Kind, v any) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("bundle: write after close")
	}
	line, err := json.Marshal(v)
	if err != nil {
		return w.fail(fmt.Errorf("bundle: %s record: %w", k, err))
	}
	if len(line)+1 > MaxRecordBytes {
		return w.fail(fmt.Errorf("bundle: %s record of %d bytes: %w", k, len(line), ErrTooLarge))
	}
	if w.current != k || w.part.Len()+len(line)+1 > PartTarget {
		if err := w.flushPart(); err != nil {
			return err
		}
		w.current = k
	}
	w.part.Write(line)
	w.part.WriteByte('\n')
	w.partRecs++
	w.records[k]++
	return nil
}

// flushPart writes the buffered records as the next part of their kind.
func (w *Writer) flushPart() error {
	if w.err != nil {
		return w.err
	}
	if w.partRecs == 0 {
		return nil
	}
	w.parts[w.current]++
	name := PartName(w.current, w.parts[w.current])
	err := w.writeEntry(name, w.part.Bytes(), w.partRecs)
	w.part.Reset()
	w.partRecs = 0
	return err
}

// PartName is the entry name of the n-th part (from 1) of a kind.
func PartName(k Kind, n int) string { return fmt.Sprintf("%s-%06d.jsonl", k, n) }

func (w *Writer) writeEntry(name string, data []byte, records int64) error {
	if err := w.writeRawEntry(name, data); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	w.sums = append(w.sums, FileSum{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Records: records})
	return nil
}

func (w *Writer) writeRawEntry(name string, data []byte) error {
	if err := w.tw.WriteHeader(w.header(name, int64(len(data)))); err != nil {
		return w.fail(fmt.Errorf("bundle: %s: %w", name, err))
	}
	if _, err := w.tw.Write(data); err != nil {
		return w.fail(fmt.Errorf("bundle: %s: %w", name, err))
	}
	return nil
}

func (w *Writer) header(name string, size int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: w.modTime}
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}
