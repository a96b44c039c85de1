package web

import (
	"fmt"
	"log/slog"
	"strings"

	"confidant/attestation"
	"confidant/config"
	"confidant/enclave/evidence"
	"confidant/portability/transfer"
	"confidant/store"
)

// TransferDeps are what fork transfer needs besides the configuration.
type TransferDeps struct {
	Store    *store.Store
	Reporter *attestation.Reporter
	// Seed is the enclave's transfer purpose key (Keyring.TransferSeed).
	Seed []byte
	// Simulated: the app's own enclave is simulated.
	Simulated bool
	// Quotes verifies destinations' TDX quote chains (nil: never green,
	// so only simulated peers, where both sides allow them, can receive).
	Quotes evidence.QuoteVerifier
	Export transfer.ExportFunc
	Import transfer.ImportFunc
	// TempDir keeps sealed uploads while they are checked.
	TempDir string
	Log     *slog.Logger
}

// NewTransfer builds the fork-transfer service: destinations are judged
// by the same verifier code as `confidant verify`, with the allowlist
// CONFIDANT_TRANSFER_ALLOW. Without an exporter and an importer there is
// nothing to move, and it returns nil (the transfer routes are off).
func NewTransfer(cfg *config.Config, d TransferDeps) (*transfer.Service, error) {
	if d.Export == nil || d.Import == nil {
		return nil, nil
	}
	allow, err := evidence.ParseAllowlist(strings.Join(cfg.TransferAllow, ","))
	if err != nil {
		return nil, fmt.Errorf("CONFIDANT_TRANSFER_ALLOW: %w", err)
	}
	if cfg.TransferAllowSimulated && d.Log != nil {
		d.Log.Warn("CONFIDANT_TRANSFER_ALLOW_SIMULATED=1: fork transfers to and from simulated enclaves are allowed (development only)")
	}
	return transfer.New(transfer.Config{
		Store: d.Store, Reporter: d.Reporter, Seed: d.Seed, Origin: strings.ToLower(cfg.Origin.String()),
		Verifier:  evidence.New(evidence.Config{Quotes: d.Quotes, Allow: allow}),
		Simulated: d.Simulated, AllowSimulated: cfg.TransferAllowSimulated,
		Export: d.Export, Import: d.Import, TempDir: d.TempDir, Log: d.Log,
	}), nil
}
