package evidencetest

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/google/go-tdx-guest/abi"
	pb "github.com/google/go-tdx-guest/proto/tdx"
	"github.com/google/go-tdx-guest/testing/testdata"

	"confidant/inference/signing"
)

// Fixtures; testdata/README.md says where they come from.
var (
	//go:embed testdata/app_compose.json
	appCompose []byte
	//go:embed testdata/event_log.json
	eventLog []byte
	//go:embed testdata/event_log.expected.json
	eventLogExpected []byte
)

// AppCompose returns the app-compose.json of hardware-shaped reports: a
// compose file with two images pinned by digest (sha256:1111… and
// sha256:2222…).
func AppCompose() []byte { return bytes.Clone(appCompose) }

// EventLog returns a dstack event log (a JSON array) whose compose-hash
// event measures AppCompose.
func EventLog() []byte { return bytes.Clone(eventLog) }

// Expected is what an independent implementation (testdata/
// gen_event_log.py) computed for EventLog.
type Expected struct {
	RTMR3       string `json:"rtmr3"`
	ComposeHash string `json:"compose_hash"`
	RTMR3Events int    `json:"rtmr3_events"`
}

// EventLogExpected returns the RTMR3 EventLog replays to, and the compose
// hash it measures.
func EventLogExpected(tb testing.TB) Expected {
	tb.Helper()
	var e Expected
	if err := json.Unmarshal(eventLogExpected, &e); err != nil {
		tb.Fatal(err)
	}
	return e
}

// Key returns a fixed secp256k1 signing key named by label.
func Key(tb testing.TB, label string) *signing.ECDSAKey {
	tb.Helper()
	secret := sha256.Sum256([]byte("evidencetest key " + label))
	k, err := signing.NewECDSAKey(secret[:])
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// GPUPayload returns an nvidia_payload for nonce in the convention's shape,
// with placeholder evidence that only FakeNRAS judges.
func GPUPayload(nonce [32]byte) []byte {
	return []byte(`{"nonce":"` + hex.EncodeToString(nonce[:]) + `","evidence_list":[{"certificate":"MIIB-test-cert","evidence":"EvidenceBlob=="}],"arch":"HOPPER"}`)
}

// HardwareReport builds a report in the shape a dstack CVM with an H100
// serves, around the real TDX quote go-tdx-guest ships, with its body
// rewritten to bind key and nonce, commit to AppCompose (mr_config_id) and
// carry EventLog's RTMR3. The rewrite breaks the quote's signature: only
// StructureOnlyQuotes accepts it. Its info's tcb_info is a JSON string, as
// dstack's /Info gives it.
func HardwareReport(tb testing.TB, key *signing.ECDSAKey, nonce [32]byte) signing.Report {
	tb.Helper()
	exp := EventLogExpected(tb)
	sum := sha256.Sum256(appCompose)
	rtmr3, _ := hex.DecodeString(exp.RTMR3)

	parsed, err := abi.QuoteToProto(testdata.RawQuote)
	if err != nil {
		tb.Fatal(err)
	}
	q := parsed.(*pb.QuoteV4)
	rd, err := signing.ReportData(key.Identity(), nonce)
	if err != nil {
		tb.Fatal(err)
	}
	body := q.GetTdQuoteBody()
	body.ReportData = rd[:]
	body.MrConfigId = append(append([]byte{0x01}, sum[:]...), make([]byte, 15)...)
	body.Rtmrs[3] = rtmr3
	raw, err := abi.QuoteToAbiBytes(q)
	if err != nil {
		tb.Fatal(err)
	}
	h := hex.EncodeToString
	var events bytes.Buffer
	if err := json.Compact(&events, eventLog); err != nil {
		tb.Fatal(err)
	}
	tcb, _ := json.Marshal(map[string]any{
		"mrtd": h(body.MrTd), "rtmr0": h(body.Rtmrs[0]), "rtmr1": h(body.Rtmrs[1]), "rtmr2": h(body.Rtmrs[2]), "rtmr3": h(rtmr3),
		"app_compose": string(appCompose), "compose_hash": h(sum[:]), "event_log": json.RawMessage(events.Bytes()),
	})
	info, _ := json.Marshal(map[string]any{
		"app_id": h(sum[:20]), "instance_id": "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e", "app_name": "confidant",
		"compose_hash": h(sum[:]), "tcb_info": string(tcb), "os_image_hash": h(bytes.Repeat([]byte{7}, 32)),
	})
	return signing.Report{
		SigningAddress: key.Address(), SigningAlgo: signing.ECDSA, RequestNonce: h(nonce[:]),
		IntelQuote: h(raw), NvidiaPayload: string(GPUPayload(nonce)), EventLog: events.String(), Info: info,
	}
}
