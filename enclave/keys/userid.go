package keys

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// UserID is a user's UUID in its 16-byte binary form. The binary form keeps
// derivations independent of how the id was spelled (case, braces, hyphens).
// It converts directly from pgtype.UUID.Bytes or github.com/google/uuid.UUID.
type UserID [16]byte

// ParseUserID parses a UUID in its canonical 36-character form, its 32-digit
// hex form, or either wrapped in braces or prefixed "urn:uuid:".
func ParseUserID(s string) (UserID, error) {
	var id UserID
	t := strings.TrimPrefix(strings.ToLower(s), "urn:uuid:")
	if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
		t = t[1 : len(t)-1]
	}
	if len(t) == 36 {
		if t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-' {
			return id, fmt.Errorf("%w: bad hyphens", ErrUserID)
		}
		t = t[0:8] + t[9:13] + t[14:18] + t[19:23] + t[24:]
	}
	if len(t) != 32 {
		return id, fmt.Errorf("%w: want 32 hex digits", ErrUserID)
	}
	if _, err := hex.Decode(id[:], []byte(t)); err != nil {
		return id, fmt.Errorf("%w: not hex", ErrUserID)
	}
	return id, nil
}

// String returns the canonical lower-case hyphenated form.
func (u UserID) String() string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
