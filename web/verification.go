package web

import (
	"fmt"
	"strings"

	"confidant/config"
	"confidant/enclave/evidence"
)

// NewReportVerifier builds the verifier every backend report goes through
// before the backend gets user data: measurements pinned by
// CONFIDANT_BACKEND_ALLOW, GPU verdicts from NVIDIA's remote verifier, and
// TDX quote chains through quotes (nil: quotes are parsed but their chains
// not checked, so no backend is ever green).
func NewReportVerifier(cfg *config.Config, quotes evidence.QuoteVerifier) (*evidence.Verifier, error) {
	allow, err := evidence.ParseAllowlist(strings.Join(cfg.BackendAllow, ","))
	if err != nil {
		return nil, fmt.Errorf("CONFIDANT_BACKEND_ALLOW: %w", err)
	}
	return evidence.New(evidence.Config{
		Quotes: quotes,
		NRAS:   evidence.NewNRASClient(evidence.NRASConfig{BaseURL: evidence.DefaultNRASURL}),
		Allow:  allow,
	}), nil
}
