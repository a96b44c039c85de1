package seal

import (
	"encoding/binary"
	"fmt"
)

// aadLabel separates sealed-value AAD from every other use of the data key.
const aadLabel = "confidant/seal/v1"

// maxFieldLen bounds each AAD field; ids and identifiers are far shorter.
const maxFieldLen = 1024

// AAD says where a sealed value lives. All four fields are required; the
// store passes canonical spellings (lower-case UUIDs, the real table and
// column names) so the same place always produces the same bytes.
type AAD struct {
	UserID string
	Table  string
	Column string
	RowID  string
}

// validate reports an error when a field is empty or longer than maxFieldLen.
func (a AAD) validate() error {
	for _, f := range []struct{ name, v string }{
		{"user id", a.UserID}, {"table", a.Table}, {"column", a.Column}, {"row id", a.RowID},
	} {
		if f.v == "" {
			return fmt.Errorf("%w: empty %s", ErrInvalidAAD, f.name)
		}
		if len(f.v) > maxFieldLen {
			return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalidAAD, f.name, maxFieldLen)
		}
	}
	return nil
}

// encode returns the GCM additional data: the label, the header and each
// field as a 4-byte big-endian length followed by its bytes, so no two
// different AADs share an encoding.
func (a AAD) encode(header []byte) []byte {
	n := len(aadLabel) + len(header) + 16 + len(a.UserID) + len(a.Table) + len(a.Column) + len(a.RowID)
	out := make([]byte, 0, n)
	out = append(out, aadLabel...)
	out = append(out, header...)
	for _, f := range []string{a.UserID, a.Table, a.Column, a.RowID} {
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	return out
}
