package enclave

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// defaultTimeout bounds one guest-agent call when NewDstack builds the client.
const defaultTimeout = 30 * time.Second

// keyAlgorithm is sent with GetKey; secp256k1 is the algorithm every guest
// agent version supports, and the raw 32-byte key is what we use.
const keyAlgorithm = "secp256k1"

// keyPurpose is sent with GetKey; dstack does not mix it into the key.
const keyPurpose = "confidant"

// Dstack is the Provider backed by the dstack guest agent. It is safe for
// concurrent use.
type Dstack struct {
	endpoint string
	baseURL  string
	client   *http.Client
}

// NewDstack returns a client for the guest agent at endpoint: an http:// or
// https:// URL, or the path of a unix socket (optionally prefixed unix://).
// httpClient may be nil for a default with a 30-second timeout; for a socket
// endpoint its Transport is replaced by one that dials the socket and its
// other settings are kept. NewDstack does not contact the agent.
func NewDstack(endpoint string, httpClient *http.Client) (*Dstack, error) {
	if endpoint == "" {
		return nil, fmt.Errorf("%w: empty endpoint", ErrNoDstack)
	}
	var c http.Client
	if httpClient != nil {
		c = *httpClient
	} else {
		c.Timeout = defaultTimeout
	}
	d := &Dstack{endpoint: endpoint}
	if strings.HasPrefix(endpoint, "http://") || strings.HasPrefix(endpoint, "https://") {
		d.baseURL = strings.TrimRight(endpoint, "/")
	} else {
		socket := strings.TrimPrefix(endpoint, "unix://")
		d.baseURL = "http://dstack"
		c.Transport = &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var dialer net.Dialer
				return dialer.DialContext(ctx, "unix", socket)
			},
			MaxIdleConns:    4,
			IdleConnTimeout: 90 * time.Second,
		}
	}
	d.client = &c
	return d, nil
}

// Endpoint returns the endpoint the client talks to.
func (d *Dstack) Endpoint() string { return d.endpoint }

// Kind returns KindDstack.
func (d *Dstack) Kind() Kind { return KindDstack }

// Quote asks the agent for a TDX quote over reportData.
func (d *Dstack) Quote(ctx context.Context, reportData [64]byte) (Quote, error) {
	var resp getQuoteResponse
	req := getQuoteRequest{ReportData: hex.EncodeToString(reportData[:])}
	if err := d.call(ctx, "GetQuote", req, &resp); err != nil {
		return Quote{}, err
	}
	raw, err := decodeHex(resp.Quote)
	if err != nil || len(raw) == 0 {
		return Quote{}, fmt.Errorf("%w: GetQuote: quote is not hex", ErrBadResponse)
	}
	if resp.ReportData != "" {
		echoed, err := decodeHex(resp.ReportData)
		if err != nil || !bytes.Equal(echoed, reportData[:]) {
			return Quote{}, fmt.Errorf("%w: GetQuote: report data differs from the request", ErrBadResponse)
		}
	}
	return Quote{Raw: raw, EventLog: resp.EventLog}, nil
}

// DeriveKey asks the agent for the app's key on path. dstack's KMS derives it
// from the app id, so it survives upgrades the KMS policy allows.
func (d *Dstack) DeriveKey(ctx context.Context, path string) ([]byte, error) {
	if path == "" {
		return nil, ErrInvalidPath
	}
	var resp getKeyResponse
	req := getKeyRequest{Path: path, Purpose: keyPurpose, Algorithm: keyAlgorithm}
	if err := d.call(ctx, "GetKey", req, &resp); err != nil {
		return nil, err
	}
	key, err := decodeHex(resp.Key)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("%w: GetKey: key is not 32 hex-encoded bytes", ErrBadResponse)
	}
	return key, nil
}

// Info asks the agent for the app's identity and measurements.
func (d *Dstack) Info(ctx context.Context) (Info, error) {
	var raw rawBody
	if err := d.call(ctx, "Info", struct{}{}, &raw); err != nil {
		return Info{}, err
	}
	return parseInfo(raw)
}

// decodeHex decodes hex with an optional 0x prefix.
func decodeHex(s string) ([]byte, error) {
	return hex.DecodeString(strings.TrimPrefix(s, "0x"))
}
