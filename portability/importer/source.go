package importer

import (
	"errors"
	"fmt"
	"io"
)

// sourceReader reads the file an import came from and marks the errors of
// reading it (a database gone away) apart from the file's own faults, so a
// failed read is never reported as a damaged file.
type sourceReader struct{ r io.ReaderAt }

// readError is a failure to read the file, not a fault in it.
type readError struct{ err error }

func (e *readError) Error() string { return fmt.Sprintf("read import file: %v", e.err) }
func (e *readError) Unwrap() error { return e.err }

func (s sourceReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := s.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, &readError{err: err}
	}
	return n, err
}

// asReadError returns err's read failure, if it has one.
func asReadError(err error) (error, bool) {
	var re *readError
	if errors.As(err, &re) {
		return re, true
	}
	return nil, false
}
