package tdxtest

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// PCS returns a fake of Intel's Provisioning Certification Service for
// this signer's quotes, speaking the PCS v4 wire format: TDX TCB info and
// QE identity (JSON signed by the test TCB-signing certificate, issuer
// chains in response headers), the PCK CRL and the root CA CRL (DER). The
// platform's one TCB level has tcbStatus (for example "UpToDate",
// "OutOfDate" or "Revoked"). Collateral is valid for a month.
func (s *Signer) PCS(tcbStatus string) http.Handler {
	mux := http.NewServeMux()
	now := time.Now().UTC().Truncate(time.Second)
	next := now.AddDate(0, 1, 0)
	tcbChain := url.QueryEscape(string(pemOf(s.tcbSigning, s.root)))

	mux.HandleFunc("GET /tdx/certification/v4/tcb", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fmspc") != "50806f000000" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Tcb-Info-Issuer-Chain", tcbChain)
		w.Write(s.signedJSON("tcbInfo", s.tcbInfo(tcbStatus, now, next)))
	})
	mux.HandleFunc("GET /tdx/certification/v4/qe/identity", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Sgx-Enclave-Identity-Issuer-Chain", tcbChain)
		w.Write(s.signedJSON("enclaveIdentity", s.qeIdentity(now, next)))
	})
	mux.HandleFunc("GET /sgx/certification/v4/pckcrl", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Sgx-Pck-Crl-Issuer-Chain", url.QueryEscape(string(pemOf(s.inter, s.root))))
		w.Write(s.crl(s.inter, now, next))
	})
	mux.HandleFunc("GET /IntelSGXRootCA.der", func(w http.ResponseWriter, r *http.Request) {
		w.Write(s.crl(s.root, now, next))
	})
	return mux
}

// signedJSON wraps body as {"<name>": body, "signature": hex(r‖s)}, the
// signature over body's exact bytes.
func (s *Signer) signedJSON(name string, body []byte) []byte {
	sig := hex.EncodeToString(rawSign(s.tcbKey, body))
	return []byte(`{"` + name + `":` + string(body) + `,"signature":"` + sig + `"}`)
}

// tcbInfo is TDX TCB info (version 3) for the sample platform (FMSPC
// 50806f000000, PCE-ID 0000) with a single TCB level at SVN 0.
func (s *Signer) tcbInfo(status string, now, next time.Time) []byte {
	zeros := make([]map[string]any, 16)
	for i := range zeros {
		zeros[i] = map[string]any{"svn": 0}
	}
	info := map[string]any{
		"id": "TDX", "version": 3, "issueDate": now, "nextUpdate": next,
		"fmspc": "50806f000000", "pceId": "0000", "tcbType": 0, "tcbEvaluationDataNumber": 17,
		"tdxModule": map[string]any{
			"mrsigner":       hex.EncodeToString(s.body[64:112]),
			"attributes":     "0000000000000000",
			"attributesMask": "ffffffffffffffff",
		},
		"tcbLevels": []any{map[string]any{
			"tcb":       map[string]any{"sgxtcbcomponents": zeros, "pcesvn": 0, "tdxtcbcomponents": zeros},
			"tcbDate":   now.Format(time.RFC3339),
			"tcbStatus": status,
		}},
	}
	return must(json.Marshal(info))
}

// qeIdentity is the TD_QE identity (version 2) matching the sample QE
// report: its MRSIGNER, ISVPRODID, MISCSELECT and attributes.
func (s *Signer) qeIdentity(now, next time.Time) []byte {
	rep := s.qeReport
	id := map[string]any{
		"id": "TD_QE", "version": 2, "issueDate": now, "nextUpdate": next, "tcbEvaluationDataNumber": 17,
		"miscselect":     hex.EncodeToString(rep[16:20]),
		"miscselectMask": "ffffffff",
		"attributes":     hex.EncodeToString(rep[48:64]),
		"attributesMask": strings.Repeat("ff", 16),
		"mrsigner":       hex.EncodeToString(rep[128:160]),
		"isvprodid":      binary.LittleEndian.Uint16(rep[256:258]),
		"tcbLevels": []any{map[string]any{
			"tcb":       map[string]any{"isvsvn": 0},
			"tcbDate":   now.Format(time.RFC3339),
			"tcbStatus": "UpToDate",
		}},
	}
	return must(json.Marshal(id))
}

// crl is an empty DER revocation list issued by issuer.
func (s *Signer) crl(issuer *x509.Certificate, now, next time.Time) []byte {
	signer := s.rootKey
	if issuer == s.inter {
		signer = s.interKey
	}
	tmpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now.Add(-time.Minute), NextUpdate: next}
	return must(x509.CreateRevocationList(rand.Reader, tmpl, issuer, signer))
}

// pemOf concatenates certificates in PEM.
func pemOf(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}
