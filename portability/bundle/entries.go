package bundle

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/google/uuid"
)

// Entry is one file of a bundle as stored, for writing a bundle out as
// files. Body is valid until the next call to NextEntry.
type Entry struct {
	Name string
	Size int64
	Body io.Reader
}

// NextEntry returns the bundle's entries one at a time as stored, the
// manifest first, under the same rules as Next (known names only, parts in
// order, size limits, checksums), without parsing records. It returns
// io.EOF once checksums.json, the last entry, matched everything before
// it. Use either Next or NextEntry on one Reader, not both.
func (r *Reader) NextEntry() (Entry, error) {
	if r.err != nil {
		return Entry{}, r.err
	}
	e, err := r.nextEntry()
	if err != nil {
		r.err = err
		return Entry{}, err
	}
	return e, nil
}

func (r *Reader) nextEntry() (Entry, error) {
	if !r.rawStarted {
		r.rawStarted = true
		return Entry{Name: ManifestName, Size: int64(len(r.manifestRaw)), Body: bytes.NewReader(r.manifestRaw)}, nil
	}
	if r.done {
		return Entry{}, io.EOF
	}
	if r.file != nil {
		if err := r.finishFile(); err != nil {
			return Entry{}, err
		}
	}
	hdr, err := r.nextHeader()
	if err == io.EOF {
		return Entry{}, fmt.Errorf("no %s: %w", ChecksumsName, ErrTruncated)
	}
	if err != nil {
		return Entry{}, err
	}
	name := hdr.Name
	if r.seen[name] {
		return Entry{}, fmt.Errorf("%s: entry repeated: %w", safeName(name), ErrCorrupt)
	}
	r.seen[name] = true
	limit, countLines := r.limits.MaxPartBytes, false
	switch {
	case name == ChecksumsName:
		data, err := r.readTrailer(hdr)
		if err != nil {
			return Entry{}, err
		}
		return Entry{Name: name, Size: int64(len(data)), Body: bytes.NewReader(data)}, nil
	case name == SettingsName:
	case len(name) == len(documentsDir)+36 && name[:len(documentsDir)] == documentsDir:
		id, err := uuid.Parse(name[len(documentsDir):])
		if err != nil || DocumentFileName(id) != name {
			return Entry{}, fmt.Errorf("%q: %w", safeName(name), ErrUnsafeEntry)
		}
		limit = r.limits.MaxFileBytes
	default:
		m := partPattern.FindStringSubmatch(name)
		if m == nil || !knownKind(Kind(m[1])) {
			return Entry{}, fmt.Errorf("%q: %w", safeName(name), ErrUnsafeEntry)
		}
		k := Kind(m[1])
		n, _ := strconv.Atoi(m[2])
		if n != r.parts[k]+1 {
			return Entry{}, fmt.Errorf("%s: part out of order: %w", name, ErrCorrupt)
		}
		r.parts[k] = n
		countLines = true
	}
	if hdr.Size > limit {
		return Entry{}, fmt.Errorf("%s: %w", name, ErrTooLarge)
	}
	r.startEntry(hdr)
	r.file = &fileEntry{r: r, countLines: countLines}
	return Entry{Name: name, Size: hdr.Size, Body: r.file}, nil
}
