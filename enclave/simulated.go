package enclave

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"confidant/enclave/internal/primitive"
)

// simPrefix marks every identity and measurement of the simulated enclave.
const simPrefix = "simulated-"

// simulatedCompose stands in for app-compose.json.
const simulatedCompose = `{"manifest_version":2,"name":"confidant-simulated","runner":"none","simulated":true}`

// Simulated is the development Provider. Its root key is a plain file in the
// data directory and its quotes are marked as simulated: it protects nothing
// and proves nothing. It is safe for concurrent use.
type Simulated struct {
	root    []byte
	quoteMK []byte
	info    Info
}

// NewSimulated loads or creates the root key in dataDir and logs a warning
// that data is not protected by hardware.
func NewSimulated(dataDir string, log *slog.Logger) (*Simulated, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	root, path, created, err := loadOrCreateRootKey(dataDir)
	if err != nil {
		return nil, err
	}
	s := &Simulated{root: root}
	if s.quoteMK, err = primitive.HKDF(root, nil, "confidant/simulated/quote-mac/v1", 32); err != nil {
		return nil, fmt.Errorf("enclave: %w", err)
	}
	appID, err := primitive.HKDF(root, nil, "confidant/simulated/app-id/v1", 20)
	if err != nil {
		return nil, fmt.Errorf("enclave: %w", err)
	}
	instance, err := primitive.RandomBytes(20)
	if err != nil {
		return nil, fmt.Errorf("enclave: %w", err)
	}
	if s.info, err = simulatedInfo(hex.EncodeToString(appID), hex.EncodeToString(instance)); err != nil {
		return nil, err
	}
	log.Warn("SIMULATED ENCLAVE: user data is NOT protected by hardware; "+
		"the root key is a plain file and attestation reports prove nothing",
		slog.String("key_file", path), slog.Bool("key_created", created))
	return s, nil
}

// Kind returns KindSimulated.
func (s *Simulated) Kind() Kind { return KindSimulated }

// Quote returns a simulated quote (see SimulatedQuoteMagic) over reportData.
func (s *Simulated) Quote(ctx context.Context, reportData [64]byte) (Quote, error) {
	if err := ctx.Err(); err != nil {
		return Quote{}, err
	}
	return Quote{Raw: simulatedQuote(s.quoteMK, reportData), EventLog: "[]"}, nil
}

// VerifyQuote checks that raw is a quote this simulated enclave made over
// reportData.
func (s *Simulated) VerifyQuote(raw []byte, reportData [64]byte) error {
	return verifySimulatedQuote(s.quoteMK, raw, reportData)
}

// DeriveKey returns HKDF-SHA256 of the root key with path as info.
func (s *Simulated) DeriveKey(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, ErrInvalidPath
	}
	key, err := primitive.HKDF(s.root, nil, path, 32)
	if err != nil {
		return nil, fmt.Errorf("enclave: %w", err)
	}
	return key, nil
}

// Info returns the simulated identity; every value starts "simulated-".
func (s *Simulated) Info(ctx context.Context) (Info, error) {
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	info := s.info
	info.Raw = append(json.RawMessage(nil), s.info.Raw...)
	return info, nil
}

// simulatedInfo builds the Info and a dstack-shaped Raw for it.
func simulatedInfo(appID, instanceID string) (Info, error) {
	zeros48 := simPrefix + strings.Repeat("00", 48)
	sum := sha256.Sum256([]byte(simulatedCompose))
	info := Info{
		Kind:        KindSimulated,
		AppID:       simPrefix + appID,
		InstanceID:  simPrefix + instanceID,
		AppName:     "confidant-simulated",
		DeviceID:    simPrefix + strings.Repeat("00", 32),
		ComposeHash: simPrefix + hex.EncodeToString(sum[:]),
		MRTD:        zeros48,
		RTMR0:       zeros48,
		RTMR1:       zeros48,
		RTMR2:       zeros48,
		RTMR3:       zeros48,
		OSImageHash: simPrefix + strings.Repeat("00", 32),
		AppCompose:  simulatedCompose,
	}
	tcb, err := json.Marshal(tcbInfo{
		MRTD: info.MRTD, RTMR0: info.RTMR0, RTMR1: info.RTMR1, RTMR2: info.RTMR2, RTMR3: info.RTMR3,
		AppCompose: info.AppCompose, ComposeHash: info.ComposeHash, OSImageHash: info.OSImageHash,
		DeviceID: info.DeviceID, EventLog: json.RawMessage("[]"),
	})
	if err != nil {
		return Info{}, fmt.Errorf("enclave: %w", err)
	}
	raw, err := json.Marshal(struct {
		infoResponse
		Simulated bool `json:"simulated"`
	}{infoResponse{
		AppID: info.AppID, InstanceID: info.InstanceID, TCBInfo: string(tcb), AppName: info.AppName,
		DeviceID: info.DeviceID, OSImageHash: info.OSImageHash, ComposeHash: info.ComposeHash,
		KeyProviderInfo: `{"name":"simulated"}`,
	}, true})
	if err != nil {
		return Info{}, fmt.Errorf("enclave: %w", err)
	}
	info.Raw = raw
	return info, nil
}
