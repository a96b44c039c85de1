package signing

import "encoding/json"

// Signature is the answer of GET /v1/signature/{id}.
type Signature struct {
	Text           string `json:"text"`
	Signature      string `json:"signature"`
	SigningAddress string `json:"signing_address"`
	SigningAlgo    Algo   `json:"signing_algo"`
}

// Verify checks the signature over Text by SigningAddress. It does not
// check what Text hashes; see MatchText.
func (s Signature) Verify() error {
	return Verify(s.SigningAlgo, s.Text, s.Signature, s.SigningAddress)
}

// Report is the answer of GET /v1/attestation/report for one node. Quote,
// event log and GPU payload are passed on as the node sent them; Info is
// dstack's Info object (its tcb_info may be an object or a JSON string,
// depending on the server).
type Report struct {
	SigningAddress string          `json:"signing_address"`
	SigningAlgo    Algo            `json:"signing_algo"`
	RequestNonce   string          `json:"request_nonce"`
	IntelQuote     string          `json:"intel_quote"`
	NvidiaPayload  string          `json:"nvidia_payload,omitempty"`
	EventLog       string          `json:"event_log"`
	Info           json.RawMessage `json:"info,omitempty"`
	// Simulated is set by simulated backends; a real one omits it. Never
	// trust it as evidence either way: only the quote decides.
	Simulated bool `json:"simulated,omitempty"`
}

// ExpectedReportData returns the report_data the quote must carry for
// this report's signing address and nonce.
func (r Report) ExpectedReportData() ([64]byte, error) {
	algo, err := ParseAlgo(string(r.SigningAlgo))
	if err != nil {
		return [64]byte{}, err
	}
	id, err := Identity(algo, r.SigningAddress)
	if err != nil {
		return [64]byte{}, err
	}
	nonce, err := ParseNonce(r.RequestNonce)
	if err != nil {
		return [64]byte{}, err
	}
	return ReportData(id, nonce)
}
