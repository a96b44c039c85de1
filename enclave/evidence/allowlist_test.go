package evidence_test

import (
	"errors"
	"strings"
	"testing"

	"confidant/enclave/evidence"
)

func TestParseAllowlist(t *testing.T) {
	h48, h32, h20 := strings.Repeat("ab", 48), strings.Repeat("cd", 32), strings.Repeat("ef", 20)
	tests := []struct {
		name    string
		spec    string
		want    string // String() of the result
		wantErr bool
	}{
		{"empty", "", "", false},
		{"blank", " , \n", "", false},
		{"every key", "image=sha256:" + h32 + ",compose_hash=" + h32 + ",mrtd=" + h48 + ",app_id=" + h20 + ",rtmr3=0x" + strings.ToUpper(h48),
			"mrtd=" + h48 + ",rtmr3=" + h48 + ",compose_hash=" + h32 + ",app_id=" + h20 + ",image=sha256:" + h32, false},
		{"alternatives and duplicates", "mrtd=" + h48 + "\nmrtd=" + strings.Repeat("00", 48) + " mrtd=" + h48,
			"mrtd=" + h48 + ",mrtd=" + strings.Repeat("00", 48), false},
		{"unknown key", "mrenclave=" + h32, "", true},
		{"no value", "mrtd", "", true},
		{"short hash", "compose_hash=" + h20, "", true},
		{"image without algorithm", "image=" + h32, "", true},
		{"not hex", "mrtd=" + strings.Repeat("zz", 48), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := evidence.ParseAllowlist(tt.spec)
			if tt.wantErr {
				if !errors.Is(err, evidence.ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := a.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if a.Empty() != (tt.want == "") {
				t.Errorf("Empty() = %v", a.Empty())
			}
		})
	}
}
