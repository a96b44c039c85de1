package bundle

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// readTrailer reads checksums.json and compares it with what was read.
func (r *Reader) readTrailer(hdr *tar.Header) ([]byte, error) {
	if hdr.Size > r.limits.MaxPartBytes {
		return nil, fmt.Errorf("%s: %w", ChecksumsName, ErrTooLarge)
	}
	data, err := r.readWhole(hdr)
	if err != nil {
		return nil, err
	}
	var c Checksums
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", ChecksumsName, ErrCorrupt, err)
	}
	// The manifest's sum is the first the reader computed.
	if len(c.Files) != len(r.sums) {
		return nil, fmt.Errorf("%s lists %d entries, the bundle has %d: %w", ChecksumsName, len(c.Files), len(r.sums), ErrChecksum)
	}
	for i, want := range c.Files {
		if got := r.sums[i]; got != want {
			return nil, fmt.Errorf("%s: %w", safeName(got.Name), ErrChecksum)
		}
	}
	if len(r.docs) > 0 {
		return nil, fmt.Errorf("%d document files missing: %w", len(r.docs), ErrCorrupt)
	}
	hdrNext, err := r.tr.Next()
	switch {
	case err == io.EOF:
	case err != nil:
		return nil, r.entryErr(err)
	default:
		return nil, fmt.Errorf("%q after %s: %w", safeName(hdrNext.Name), ChecksumsName, ErrUnsafeEntry)
	}
	// Read an encrypted stream to its authenticated end, so a damaged or
	// cut final chunk is noticed.
	if r.drain != nil {
		n, err := io.Copy(io.Discard, io.LimitReader(r.drain, maxTrailing+1))
		if err != nil {
			return nil, r.entryErr(err)
		}
		if n > maxTrailing {
			return nil, fmt.Errorf("data after the end of the archive: %w", ErrCorrupt)
		}
	}
	r.done = true
	return data, nil
}

// nextHeader reads the next tar header and applies the structural rules.
func (r *Reader) nextHeader() (*tar.Header, error) {
	hdr, err := r.tr.Next()
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, r.entryErr(err)
	}
	r.entries++
	if r.entries > r.limits.MaxEntries {
		return nil, ErrTooManyEntries
	}
	if hdr.Typeflag != tar.TypeReg {
		return nil, fmt.Errorf("%q (type %q): %w", safeName(hdr.Name), hdr.Typeflag, ErrUnsafeEntry)
	}
	if hdr.Size < 0 {
		return nil, fmt.Errorf("%q: %w", safeName(hdr.Name), ErrCorrupt)
	}
	r.total += hdr.Size
	if r.total > r.limits.MaxTotalBytes {
		return nil, fmt.Errorf("total: %w", ErrTooLarge)
	}
	return hdr, nil
}

// readWhole reads a small entry whole and records its sum.
func (r *Reader) readWhole(hdr *tar.Header) ([]byte, error) {
	r.startEntry(hdr)
	data, err := io.ReadAll(io.LimitReader(r.tr, hdr.Size+1))
	if err != nil {
		return nil, r.entryErr(err)
	}
	if int64(len(data)) != hdr.Size {
		return nil, fmt.Errorf("%s: %w", hdr.Name, ErrTruncated)
	}
	if hdr.Name != ChecksumsName {
		r.hash.Write(data)
		if err := r.finishEntry(); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// entryErr classifies an error from the tar layer or below.
func (r *Reader) entryErr(err error) error {
	if r.name != "" {
		return fmt.Errorf("%s: %w", safeName(r.name), r.wrapErr(err))
	}
	return r.wrapErr(err)
}

// classifyPlain names an error of the tar layer with a sentinel.
func classifyPlain(err error) error {
	switch {
	case isSentinel(err):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: %w", ErrTruncated, err)
	case errors.Is(err, tar.ErrInsecurePath):
		return fmt.Errorf("%w: %w", ErrUnsafeEntry, err)
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}

func isSentinel(err error) bool {
	for _, s := range []error{ErrWrongPassphrase, ErrNotBundle, ErrUnsupportedVersion, ErrTruncated, ErrCorrupt, ErrChecksum, ErrUnsafeEntry, ErrTooLarge, ErrTooManyEntries} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// safeName quotes an untrusted name for an error text, bounded in length.
func safeName(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return string(bytes.ToValidUTF8([]byte(strconv.Quote(s)), []byte("?")))
}
