package importer

import (
	"errors"
	"fmt"
	"strings"
)

// Error is a refusal of an import file: a code for programs and a message
// a person can act on. Messages name positions and fields, never the
// file's content.
type Error struct {
	Code    string
	Message string
	kind    *Error // the sentinel this error is an instance of
}

func (e *Error) Error() string { return e.Message }

// Is matches an Error against its sentinel.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && (e == t || e.kind == t)
}

// The ways a file is refused; errors.Is tells them apart.
var (
	ErrUnknownFormat = &Error{Code: "unknown_format", Message: "This file is not an export this app can import: choose a ChatGPT conversations.json or export zip, a Claude export, an Open WebUI chat export or a Confidant bundle."}
	ErrEmpty         = &Error{Code: "empty", Message: "The file holds no conversations."}
	ErrMalformed     = &Error{Code: "malformed", Message: "The file is damaged or incomplete."}
	ErrTooLarge      = &Error{Code: "too_large", Message: "The file is larger than this app imports."}
	ErrUnsafeArchive = &Error{Code: "unsafe_archive", Message: "The zip archive looks unsafe and was not opened."}
	ErrPassphrase    = &Error{Code: "wrong_passphrase", Message: "The passphrase does not open this bundle."}
	ErrUnsupported   = &Error{Code: "unsupported", Message: "This kind of file cannot be imported here yet."}
)

// fail makes an instance of kind with a detail appended to its message.
func fail(kind *Error, format string, args ...any) *Error {
	base := strings.TrimSuffix(kind.Message, ".")
	return &Error{Code: kind.Code, Message: base + ": " + fmt.Sprintf(format, args...) + ".", kind: kind}
}

// AsError returns err as an *Error when it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// ErrNeedsPassphrase refuses a bundle sent without its passphrase.
var ErrNeedsPassphrase = &Error{Code: "passphrase_required", Message: "This is an encrypted Confidant bundle: enter the passphrase it was exported with."}

// Refusal is an instance of kind worded by message, for refusals found
// outside this package (a bundle reader's) that errors.Is still matches.
func Refusal(kind *Error, message string) *Error {
	return &Error{Code: kind.Code, Message: message, kind: kind}
}
