package signing

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// decodeHex decodes s with or without a 0x prefix and checks its length in
// bytes (any length when n is 0).
func decodeHex(what, s string, n int) ([]byte, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not hex", ErrMalformed, what)
	}
	if n > 0 && len(b) != n {
		return nil, fmt.Errorf("%w: %s has %d bytes, want %d", ErrMalformed, what, len(b), n)
	}
	return b, nil
}
