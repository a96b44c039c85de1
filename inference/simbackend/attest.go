package simbackend

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"confidant/enclave"
	"confidant/enclave/evidence"
	"confidant/inference/signing"
)

// simPrefix marks every identity and measurement in a simulated report, as
// the simulated enclave does.
const simPrefix = "simulated-"

// simCompose stands in for the backend's app-compose.json.
const simCompose = `{"manifest_version":2,"name":"confidant-sim-backend","runner":"none","simulated":true}`

// simInfo mimics dstack's Info as NEAR-style backends report it, with
// tcb_info as an object.
type simInfo struct {
	AppID           string `json:"app_id"`
	InstanceID      string `json:"instance_id"`
	AppCert         string `json:"app_cert"`
	TCBInfo         simTCB `json:"tcb_info"`
	AppName         string `json:"app_name"`
	DeviceID        string `json:"device_id"`
	MRAggregated    string `json:"mr_aggregated"`
	OSImageHash     string `json:"os_image_hash"`
	KeyProviderInfo string `json:"key_provider_info"`
	ComposeHash     string `json:"compose_hash"`
	VMConfig        string `json:"vm_config"`
	Simulated       bool   `json:"simulated"`
}

type simTCB struct {
	MRTD        string           `json:"mrtd"`
	RTMR0       string           `json:"rtmr0"`
	RTMR1       string           `json:"rtmr1"`
	RTMR2       string           `json:"rtmr2"`
	RTMR3       string           `json:"rtmr3"`
	AppCompose  string           `json:"app_compose"`
	ComposeHash string           `json:"compose_hash"`
	OSImageHash string           `json:"os_image_hash"`
	DeviceID    string           `json:"device_id"`
	EventLog    []evidence.Event `json:"event_log"`
}

type gpuPayload struct {
	Nonce        string `json:"nonce"`
	EvidenceList []any  `json:"evidence_list"`
	Arch         string `json:"arch"`
	Simulated    bool   `json:"simulated"`
}

// handleReport serves GET /v1/attestation/report?nonce=&signing_algo=&model=.
// Without a nonce it makes a random one, as NEAR's proxy does.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	algo, err := signing.ParseAlgo(q.Get("signing_algo"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_signing_algo",
			"signing_algo must be ecdsa or ed25519")
		return
	}
	var nonce [32]byte
	if q.Has("nonce") {
		raw := q.Get("nonce")
		b, err := hex.DecodeString(raw)
		if err != nil || len(b) != 32 {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_nonce",
				"nonce must be 64 hex digits (32 bytes)")
			return
		}
		copy(nonce[:], b)
	} else {
		rand.Read(nonce[:])
	}
	if id := q.Get("model"); id != "" {
		if _, ok := s.models[id]; !ok {
			writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found",
				"the model `"+id+"` does not exist")
			return
		}
	}
	signer := s.keys.signer(algo)
	rd, err := signing.ReportData(signer.Identity(), nonce)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", "internal", "report data")
		return
	}
	simInfo := s.info()
	info, err := json.Marshal(simInfo)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", "internal", "encoding failed")
		return
	}
	events, err := json.Marshal(simInfo.TCBInfo.EventLog)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", "internal", "encoding failed")
		return
	}
	gpu, err := json.Marshal(gpuPayload{Nonce: hex.EncodeToString(nonce[:]), EvidenceList: []any{}, Arch: "HOPPER", Simulated: true})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", "internal", "encoding failed")
		return
	}
	writeJSON(w, http.StatusOK, signing.Report{
		SigningAddress: signer.Address(),
		SigningAlgo:    algo,
		RequestNonce:   hex.EncodeToString(nonce[:]),
		IntelQuote:     hex.EncodeToString(s.quote(rd)),
		NvidiaPayload:  string(gpu),
		EventLog:       string(events),
		Info:           info,
		Simulated:      true,
	})
}

// quote returns a simulated quote in the simulated enclave's format:
// enclave.SimulatedQuoteMagic ‖ report data ‖ HMAC-SHA256 under a key
// derived from the seed. No TDX parser accepts it.
func (s *Server) quote(reportData [64]byte) []byte {
	out := make([]byte, 0, enclave.SimulatedQuoteSize)
	out = append(out, enclave.SimulatedQuoteMagic...)
	out = append(out, reportData[:]...)
	mac := hmac.New(sha256.New, s.keys.quoteMAC)
	mac.Write(out)
	return mac.Sum(out)
}

// info describes the simulated backend; every value is marked simulated.
// Its event log holds the RTMR3 events dstack would measure, and rtmr3 is
// their replay, so verifiers can replay it as they would a real one.
func (s *Server) info() simInfo {
	zeros48 := simPrefix + strings.Repeat("00", 48)
	zeros32 := simPrefix + strings.Repeat("00", 32)
	sum := sha256.Sum256([]byte(simCompose))
	compose := simPrefix + hex.EncodeToString(sum[:])
	events, rtmr3 := s.eventLog(sum)
	return simInfo{
		AppID:      simPrefix + s.keys.appID,
		InstanceID: simPrefix + s.keys.instance,
		TCBInfo: simTCB{
			MRTD: zeros48, RTMR0: zeros48, RTMR1: zeros48, RTMR2: zeros48, RTMR3: simPrefix + hex.EncodeToString(rtmr3[:]),
			AppCompose: simCompose, ComposeHash: compose, OSImageHash: zeros32, DeviceID: zeros32,
			EventLog: events,
		},
		AppName:         "confidant-sim-backend",
		DeviceID:        zeros32,
		MRAggregated:    zeros48,
		OSImageHash:     zeros32,
		KeyProviderInfo: `{"name":"simulated"}`,
		ComposeHash:     compose,
		VMConfig:        "{}",
		Simulated:       true,
	}
}

// eventLog returns the RTMR3 events of the simulated backend (app-id,
// compose-hash, instance-id, system-ready) in dstack's shape, and the
// RTMR3 they replay to.
func (s *Server) eventLog(composeSum [32]byte) ([]evidence.Event, [48]byte) {
	appID, _ := hex.DecodeString(s.keys.appID)
	instance, _ := hex.DecodeString(s.keys.instance)
	var events []evidence.Event
	for _, e := range []struct {
		name    string
		payload []byte
	}{{"app-id", appID}, {"compose-hash", composeSum[:]}, {"instance-id", instance}, {"system-ready", nil}} {
		d := evidence.RuntimeEventDigest(evidence.RuntimeEventType, e.name, e.payload)
		events = append(events, evidence.Event{
			IMR: 3, EventType: evidence.RuntimeEventType, Digest: hex.EncodeToString(d[:]),
			Name: e.name, Payload: hex.EncodeToString(e.payload),
		})
	}
	rtmr3, _, err := evidence.ReplayRTMR3(events)
	if err != nil {
		panic("simbackend: replaying its own event log: " + err.Error()) // unreachable
	}
	return events, rtmr3
}
