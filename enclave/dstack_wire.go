package enclave

import (
	"encoding/json"
	"fmt"
)

// Wire formats of the dstack guest agent's JSON RPC. Byte fields are hex.

type getQuoteRequest struct {
	ReportData string `json:"report_data"`
}

type getQuoteResponse struct {
	Quote      string `json:"quote"`
	EventLog   string `json:"event_log"`
	ReportData string `json:"report_data"`
	VMConfig   string `json:"vm_config"`
}

type getKeyRequest struct {
	Path      string `json:"path"`
	Purpose   string `json:"purpose"`
	Algorithm string `json:"algorithm"`
}

type getKeyResponse struct {
	Key            string   `json:"key"`
	SignatureChain []string `json:"signature_chain"`
}

type infoResponse struct {
	AppID           string `json:"app_id"`
	InstanceID      string `json:"instance_id"`
	AppCert         string `json:"app_cert"`
	TCBInfo         string `json:"tcb_info"` // JSON text of tcbInfo
	AppName         string `json:"app_name"`
	DeviceID        string `json:"device_id"`
	MRAggregated    string `json:"mr_aggregated"`
	OSImageHash     string `json:"os_image_hash"`
	KeyProviderInfo string `json:"key_provider_info"`
	ComposeHash     string `json:"compose_hash"`
	VMConfig        string `json:"vm_config"`
}

type tcbInfo struct {
	MRTD        string          `json:"mrtd"`
	RTMR0       string          `json:"rtmr0"`
	RTMR1       string          `json:"rtmr1"`
	RTMR2       string          `json:"rtmr2"`
	RTMR3       string          `json:"rtmr3"`
	AppCompose  string          `json:"app_compose"`
	ComposeHash string          `json:"compose_hash"`
	OSImageHash string          `json:"os_image_hash"`
	DeviceID    string          `json:"device_id"`
	EventLog    json.RawMessage `json:"event_log"`
}

// parseInfo turns an /Info answer into Info. tcb_info must be present: an
// Info without measurements is useless for attestation.
func parseInfo(raw rawBody) (Info, error) {
	var r infoResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return Info{}, fmt.Errorf("%w: Info: %w", ErrBadResponse, err)
	}
	if r.TCBInfo == "" {
		return Info{}, fmt.Errorf("%w: Info: no tcb_info", ErrBadResponse)
	}
	var t tcbInfo
	if err := json.Unmarshal([]byte(r.TCBInfo), &t); err != nil {
		return Info{}, fmt.Errorf("%w: Info: tcb_info: %w", ErrBadResponse, err)
	}
	if r.AppID == "" || t.MRTD == "" {
		return Info{}, fmt.Errorf("%w: Info: missing app_id or mrtd", ErrBadResponse)
	}
	return Info{
		Kind:        KindDstack,
		AppID:       r.AppID,
		InstanceID:  r.InstanceID,
		AppName:     r.AppName,
		DeviceID:    firstNonEmpty(r.DeviceID, t.DeviceID),
		ComposeHash: firstNonEmpty(r.ComposeHash, t.ComposeHash),
		MRTD:        t.MRTD,
		RTMR0:       t.RTMR0,
		RTMR1:       t.RTMR1,
		RTMR2:       t.RTMR2,
		RTMR3:       t.RTMR3,
		OSImageHash: firstNonEmpty(r.OSImageHash, t.OSImageHash),
		AppCompose:  t.AppCompose,
		Raw:         json.RawMessage(raw),
	}, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
