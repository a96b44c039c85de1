package keys

import (
	"errors"
	"testing"
)

func TestParseUserID(t *testing.T) {
	const canonical = "6f1c2a8e-4b7d-4c2e-9a1f-3d5e7b9c0a12"
	tests := []struct {
		name    string
		in      string
		wantErr error
	}{
		{"canonical", canonical, nil},
		{"upper", "6F1C2A8E-4B7D-4C2E-9A1F-3D5E7B9C0A12", nil},
		{"braces", "{" + canonical + "}", nil},
		{"urn", "urn:uuid:" + canonical, nil},
		{"bare hex", "6f1c2a8e4b7d4c2e9a1f3d5e7b9c0a12", nil},
		{"empty", "", ErrUserID},
		{"short", "6f1c2a8e-4b7d-4c2e-9a1f-3d5e7b9c0a1", ErrUserID},
		{"bad hyphens", "6f1c2a8e4-b7d-4c2e-9a1f-3d5e7b9c0a12", ErrUserID},
		{"not hex", "zf1c2a8e-4b7d-4c2e-9a1f-3d5e7b9c0a12", ErrUserID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := ParseUserID(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && id.String() != canonical {
				t.Fatalf("String() = %s", id)
			}
		})
	}
}
