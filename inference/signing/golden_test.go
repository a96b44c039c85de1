package signing

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/golden.json")

type goldenAlgo struct {
	SigningAddress string `json:"signing_address"`
	ReportData     string `json:"report_data"`
	Signature      string `json:"signature"`
}

type golden struct {
	Inputs struct {
		ECDSASecret  string `json:"ecdsa_secret"`
		Ed25519Seed  string `json:"ed25519_seed"`
		Nonce        string `json:"nonce"`
		RequestFile  string `json:"request_file"`
		ResponseFile string `json:"response_file"`
	} `json:"inputs"`
	Text    string     `json:"text"`
	ECDSA   goldenAlgo `json:"ecdsa"`
	Ed25519 goldenAlgo `json:"ed25519"`
}

// TestGolden pins the signed-text, report-data and signature formats: fixed
// keys, nonce, request and response must give exactly the recorded values.
// Run with -update only when the format is meant to change.
func TestGolden(t *testing.T) {
	dir := filepath.Join("testdata", "golden")
	raw, err := os.ReadFile(filepath.Join(dir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	req := mustRead(t, filepath.Join(dir, g.Inputs.RequestFile))
	resp := mustRead(t, filepath.Join(dir, g.Inputs.ResponseFile))
	nonce, err := ParseNonce(g.Inputs.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := NewECDSAKey(mustHex(t, g.Inputs.ECDSASecret))
	if err != nil {
		t.Fatal(err)
	}
	dk, err := NewEd25519Key(mustHex(t, g.Inputs.Ed25519Seed))
	if err != nil {
		t.Fatal(err)
	}
	got := g
	got.Text = SignedText(req, resp)
	got.ECDSA = goldenFor(t, ek, got.Text, nonce)
	got.Ed25519 = goldenFor(t, dk, got.Text, nonce)

	if *update {
		out, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "golden.json"), append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got.Text != g.Text {
		t.Errorf("text = %s, want %s", got.Text, g.Text)
	}
	for _, c := range []struct {
		name      string
		got, want goldenAlgo
		algo      Algo
	}{{"ecdsa", got.ECDSA, g.ECDSA, ECDSA}, {"ed25519", got.Ed25519, g.Ed25519, Ed25519}} {
		if c.got != c.want {
			t.Errorf("%s = %+v, want %+v", c.name, c.got, c.want)
		}
		if err := Verify(c.algo, g.Text, c.want.Signature, c.want.SigningAddress); err != nil {
			t.Errorf("%s: recorded signature does not verify: %v", c.name, err)
		}
	}
}

func goldenFor(t *testing.T, s Signer, text string, nonce [32]byte) goldenAlgo {
	t.Helper()
	rd, err := ReportData(s.Identity(), nonce)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.Sign(text)
	if err != nil {
		t.Fatal(err)
	}
	return goldenAlgo{SigningAddress: s.Address(), ReportData: hex.EncodeToString(rd[:]), Signature: sig}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasSuffix(b, []byte("\n")) {
		t.Fatalf("%s ends with a newline; golden bytes must be exact", path)
	}
	return b
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
