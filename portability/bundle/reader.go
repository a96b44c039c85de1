package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"regexp"
	"strconv"

	"github.com/google/uuid"
)

// Record is one item of a bundle, as Reader.Next returns it: Kind says
// which field is set. For KindFile, File streams the document original
// named by DocumentID; it is valid until the next call to Next.
type Record struct {
	Kind         Kind
	Conversation *Conversation
	Message      *Message
	Memory       *Memory
	Collection   *Collection
	Document     *Document
	Chunk        *Chunk
	APIKey       *APIKey
	Connector    *Connector
	Passkey      *Passkey
	Settings     *Settings
	DocumentID   uuid.UUID
	File         io.Reader
}

// Kinds of Record that are not record parts.
const (
	KindSettings Kind = "settings"
	KindFile     Kind = "file"
)

// Reader reads a bundle strictly, in order. Next returns io.EOF only after
// the checksum trailer was read and every entry matched it: a consumer
// must treat what it read as complete only then.
type Reader struct {
	tr       *tar.Reader
	limits   Limits
	manifest Manifest
	entries  int
	total    int64
	// the entry being read
	name     string
	kind     Kind
	hash     hash.Hash
	size     int64
	lines    *bufio.Reader
	recs     int64
	file     *fileEntry
	sums     []FileSum
	parts    map[Kind]int
	docs     map[uuid.UUID]int64 // declared, not yet read files
	seen     map[string]bool
	settings bool
	done     bool
	err      error
	// wrapErr classifies errors of the layer under the tar stream.
	wrapErr func(error) error
	// drain, when set, is read to its end after the trailer.
	drain io.Reader
	// manifestRaw is manifest.json as stored; rawStarted reports whether
	// NextEntry has returned it.
	manifestRaw []byte
	rawStarted  bool
}

// NewReader reads a plain (unencrypted) bundle from r and its manifest.
func NewReader(r io.Reader, limits Limits) (*Reader, error) {
	return newReader(r, limits, classifyPlain, nil)
}

func newReader(r io.Reader, limits Limits, wrapErr func(error) error, drain io.Reader) (*Reader, error) {
	br := &Reader{
		drain:   drain,
		tr:      tar.NewReader(r),
		limits:  limits.withDefaults(),
		parts:   map[Kind]int{},
		docs:    map[uuid.UUID]int64{},
		seen:    map[string]bool{},
		wrapErr: wrapErr,
	}
	hdr, err := br.nextHeader()
	if err != nil {
		// Empty input, or a first block that is no tar header: not a
		// bundle. A cut or damaged encrypted stream keeps its own error.
		if err == io.EOF || errors.Is(err, tar.ErrHeader) {
			return nil, fmt.Errorf("%w: %w", ErrNotBundle, err)
		}
		return nil, err
	}
	if hdr.Name != ManifestName {
		return nil, fmt.Errorf("%w: first entry is %q, not %s", ErrNotBundle, safeName(hdr.Name), ManifestName)
	}
	if hdr.Size > maxManifestBytes {
		return nil, fmt.Errorf("%s: %w", ManifestName, ErrTooLarge)
	}
	data, err := br.readWhole(hdr)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotBundle, ManifestName, err)
	}
	if m.Format != FormatName {
		return nil, fmt.Errorf("%w: format %q", ErrNotBundle, safeName(m.Format))
	}
	if m.Version != Version {
		return nil, fmt.Errorf("%w: version %d (this reader knows %d)", ErrUnsupportedVersion, m.Version, Version)
	}
	br.manifest = m
	br.manifestRaw = data
	return br, nil
}

// Manifest returns the bundle's manifest.
func (r *Reader) Manifest() Manifest { return r.manifest }

// Checksums returns the trailer; it is set once Next has returned io.EOF.
func (r *Reader) Checksums() []FileSum { return r.sums }

// Next returns the next record; io.EOF after a complete, verified bundle.
// Any other error is final.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	rec, err := r.next()
	if err != nil {
		r.err = err
		return Record{}, err
	}
	return rec, nil
}

func (r *Reader) next() (Record, error) {
	for {
		if r.done {
			return Record{}, io.EOF
		}
		if r.lines != nil {
			rec, err := r.nextLine()
			if err == nil {
				return rec, nil
			}
			if err != io.EOF {
				return Record{}, err
			}
			if err := r.finishEntry(); err != nil {
				return Record{}, err
			}
			r.lines = nil
			continue
		}
		if r.file != nil {
			if err := r.finishFile(); err != nil {
				return Record{}, err
			}
		}
		hdr, err := r.nextHeader()
		if err == io.EOF {
			return Record{}, fmt.Errorf("no %s: %w", ChecksumsName, ErrTruncated)
		}
		if err != nil {
			return Record{}, err
		}
		rec, err := r.openEntry(hdr)
		if err != nil {
			return Record{}, err
		}
		if rec.Kind != "" {
			return rec, nil
		}
	}
}

var partPattern = regexp.MustCompile(`^([a-z_]+)-([0-9]{6})\.jsonl$`)

// openEntry starts reading one entry; it returns a Record for single-value
// entries (settings, a file) and an empty one for parts and the trailer.
func (r *Reader) openEntry(hdr *tar.Header) (Record, error) {
	name := hdr.Name
	if r.seen[name] {
		return Record{}, fmt.Errorf("%s: entry repeated: %w", safeName(name), ErrCorrupt)
	}
	r.seen[name] = true
	switch {
	case name == ChecksumsName:
		_, err := r.readTrailer(hdr)
		return Record{}, err
	case name == SettingsName:
		if hdr.Size > r.limits.MaxPartBytes {
			return Record{}, fmt.Errorf("%s: %w", name, ErrTooLarge)
		}
		data, err := r.readWhole(hdr)
		if err != nil {
			return Record{}, err
		}
		var s Settings
		if err := json.Unmarshal(data, &s); err != nil {
			return Record{}, fmt.Errorf("%s: %w: %v", name, ErrCorrupt, err)
		}
		r.settings = true
		return Record{Kind: KindSettings, Settings: &s}, nil
	case len(name) == len(documentsDir)+36 && name[:len(documentsDir)] == documentsDir:
		id, err := uuid.Parse(name[len(documentsDir):])
		if err != nil || DocumentFileName(id) != name {
			return Record{}, fmt.Errorf("%q: %w", safeName(name), ErrUnsafeEntry)
		}
		declared, ok := r.docs[id]
		if !ok {
			return Record{}, fmt.Errorf("%s: file without a document record: %w", name, ErrCorrupt)
		}
		delete(r.docs, id)
		if hdr.Size > r.limits.MaxFileBytes {
			return Record{}, fmt.Errorf("%s: %w", name, ErrTooLarge)
		}
		if hdr.Size != declared {
			return Record{}, fmt.Errorf("%s: %d bytes, record says %d: %w", name, hdr.Size, declared, ErrCorrupt)
		}
		r.startEntry(hdr)
		r.file = &fileEntry{r: r}
		return Record{Kind: KindFile, DocumentID: id, File: r.file}, nil
	}
	m := partPattern.FindStringSubmatch(name)
	if m == nil || !knownKind(Kind(m[1])) {
		return Record{}, fmt.Errorf("%q: %w", safeName(name), ErrUnsafeEntry)
	}
	k := Kind(m[1])
	n, _ := strconv.Atoi(m[2])
	if n != r.parts[k]+1 {
		return Record{}, fmt.Errorf("%s: part out of order: %w", name, ErrCorrupt)
	}
	r.parts[k] = n
	if hdr.Size > r.limits.MaxPartBytes {
		return Record{}, fmt.Errorf("%s: %w", name, ErrTooLarge)
	}
	r.startEntry(hdr)
	r.kind = k
	r.lines = bufio.NewReaderSize(io.TeeReader(r.tr, r.hash), 64<<10)
	return Record{}, nil
}

func (r *Reader) startEntry(hdr *tar.Header) {
	r.name, r.size, r.recs = hdr.Name, hdr.Size, 0
	r.hash = sha256.New()
}

// nextLine decodes the next JSON line of the current part.
func (r *Reader) nextLine() (Record, error) {
	line, err := r.readLine()
	if err != nil {
		return Record{}, err
	}
	r.recs++
	rec := Record{Kind: r.kind}
	var target any
	switch r.kind {
	case KindConversation:
		rec.Conversation = &Conversation{}
		target = rec.Conversation
	case KindMessage:
		rec.Message = &Message{}
		target = rec.Message
	case KindMemory:
		rec.Memory = &Memory{}
		target = rec.Memory
	case KindCollection:
		rec.Collection = &Collection{}
		target = rec.Collection
	case KindDocument:
		rec.Document = &Document{}
		target = rec.Document
	case KindChunk:
		rec.Chunk = &Chunk{}
		target = rec.Chunk
	case KindAPIKey:
		rec.APIKey = &APIKey{}
		target = rec.APIKey
	case KindConnector:
		rec.Connector = &Connector{}
		target = rec.Connector
	case KindPasskey:
		rec.Passkey = &Passkey{}
		target = rec.Passkey
	}
	if err := json.Unmarshal(line, target); err != nil {
		return Record{}, fmt.Errorf("%s: record %d: %w: %v", r.name, r.recs, ErrCorrupt, err)
	}
	if d := rec.Document; d != nil && d.File != "" {
		if d.File != DocumentFileName(d.ID) || d.SizeBytes < 0 {
			return Record{}, fmt.Errorf("%s: record %d: file %q: %w", r.name, r.recs, safeName(d.File), ErrUnsafeEntry)
		}
		if _, dup := r.docs[d.ID]; dup || r.seen[d.File] {
			return Record{}, fmt.Errorf("%s: record %d: document repeated: %w", r.name, r.recs, ErrCorrupt)
		}
		r.docs[d.ID] = d.SizeBytes
	}
	return rec, nil
}

// readLine returns one line without its newline, io.EOF at the part's end.
func (r *Reader) readLine() ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.lines.ReadSlice('\n')
		if len(buf)+len(chunk) > r.limits.MaxRecordBytes {
			return nil, fmt.Errorf("%s: record %d: %w", r.name, r.recs+1, ErrTooLarge)
		}
		switch {
		case err == nil:
			if buf == nil {
				return chunk[:len(chunk)-1], nil
			}
			buf = append(buf, chunk...)
			return buf[:len(buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			buf = append(buf, chunk...)
		case err == io.EOF:
			if len(buf)+len(chunk) > 0 {
				return nil, fmt.Errorf("%s: last record has no newline: %w", r.name, ErrCorrupt)
			}
			return nil, io.EOF
		default:
			return nil, r.entryErr(err)
		}
	}
}

// finishEntry records the finished entry's checksum.
func (r *Reader) finishEntry() error {
	r.sums = append(r.sums, FileSum{Name: r.name, Size: r.size, SHA256: hex.EncodeToString(r.hash.Sum(nil)), Records: r.recs})
	return nil
}

// finishFile drains what the consumer left of a file and records its sum.
func (r *Reader) finishFile() error {
	if _, err := io.Copy(io.Discard, r.file); err != nil {
		return err
	}
	r.file = nil
	return r.finishEntry()
}

// fileEntry streams a document original and hashes it on the way.
type fileEntry struct {
	r *Reader
	// countLines counts records as they pass, for parts read raw.
	countLines bool
}

func (f *fileEntry) Read(p []byte) (int, error) {
	if f.r.file != f {
		return 0, errors.New("bundle: file read after Next")
	}
	n, err := f.r.tr.Read(p)
	f.r.hash.Write(p[:n])
	if f.countLines {
		f.r.recs += int64(bytes.Count(p[:n], []byte{'\n'}))
	}
	if err != nil && err != io.EOF {
		err = f.r.entryErr(err)
		f.r.err = err
	}
	return n, err
}
