package web

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"confidant/enclave/evidence"
	"confidant/portability/bundle"
	"confidant/portability/exporter"
	"confidant/portability/imports"
	"confidant/portability/transfer"
	"confidant/store"
)

// TransferDeps turn on fork transfer (docs/fork-transfer.md).
type TransferDeps struct {
	// Seed is the enclave's transfer purpose key (Keyring.TransferSeed).
	Seed []byte
	// Simulated: the app's own enclave is simulated.
	Simulated bool
	// Quotes verifies destinations' TDX quote chains (nil: never green,
	// so only simulated peers, where both sides allow them, can receive).
	Quotes evidence.QuoteVerifier
	// TempDir keeps sealed uploads while they are checked.
	TempDir string
	// Export and Import replace the account exporter (a plain bundle:
	// HPKE is the encryption) and the bundle import, for tests.
	Export transfer.ExportFunc
	Import transfer.ImportFunc
}

// newTransfer builds the fork-transfer service: destinations are judged
// by the same verifier code as `confidant verify`, with the allowlist
// CONFIDANT_TRANSFER_ALLOW. Without an importer (no database pool) it
// returns nil and the transfer routes are off.
func newTransfer(d Deps, importSvc *imports.Service) (*transfer.Service, error) {
	t := d.Transfer
	if t == nil {
		return nil, nil
	}
	cfg := d.Config
	allow, err := evidence.ParseAllowlist(strings.Join(cfg.TransferAllow, ","))
	if err != nil {
		return nil, fmt.Errorf("CONFIDANT_TRANSFER_ALLOW: %w", err)
	}
	export, imp := t.Export, t.Import
	if export == nil {
		export = exportBundle(&exporter.Exporter{Store: d.Store, Now: d.Now,
			Source: bundle.Source{Origin: cfg.Origin.String(), Version: d.Version, Commit: d.Commit}})
	}
	if imp == nil {
		if importSvc == nil {
			return nil, nil
		}
		imp = func(ctx context.Context, userID uuid.UUID, r io.Reader) (string, error) {
			counts, err := importSvc.ImportBundle(ctx, userID, r, imports.BundleSource{})
			if err != nil {
				return "", err
			}
			return describeImport(counts), nil
		}
	}
	if cfg.TransferAllowSimulated {
		d.Log.Warn("CONFIDANT_TRANSFER_ALLOW_SIMULATED=1: fork transfers to and from simulated enclaves are allowed (development only)")
	}
	return transfer.New(transfer.Config{
		Store: d.Store, Reporter: d.Reporter, Seed: t.Seed, Origin: strings.ToLower(cfg.Origin.String()),
		Verifier:  evidence.New(evidence.Config{Quotes: t.Quotes, Allow: allow}),
		Simulated: t.Simulated, AllowSimulated: cfg.TransferAllowSimulated,
		Export: export, Import: imp, TempDir: t.TempDir, Now: d.Now, Log: d.Log,
	}), nil
}

// exportBundle writes the user's account as a plain bundle. Connector
// credentials stay behind: they belong to this server's OAuth clients,
// and the user connects again on the destination.
func exportBundle(ex *exporter.Exporter) transfer.ExportFunc {
	return func(ctx context.Context, userID uuid.UUID, w io.Writer) error {
		m, err := ex.Manifest(ctx, userID, exporter.Options{})
		if err != nil {
			return err
		}
		bw, err := bundle.NewWriter(w, m)
		if err != nil {
			return err
		}
		if err := ex.Export(ctx, userID, bw, exporter.Options{}); err != nil {
			return err // not closed: the destination reads a truncated bundle
		}
		return bw.Close()
	}
}

// describeImport says what a transfer brought, in words.
func describeImport(c store.ImportCounts) string {
	parts := []string{count(c.Conversations, "conversation", "conversations")}
	for _, p := range []struct {
		n         int
		one, many string
	}{{c.Messages, "message", "messages"}, {c.Memories, "memory", "memories"}, {c.Documents, "document", "documents"}} {
		if p.n > 0 {
			parts = append(parts, count(p.n, p.one, p.many))
		}
	}
	out := strings.Join(parts, ", ")
	if skipped := c.ConversationsSkipped + c.MemoriesSkipped + c.DocumentsSkipped; skipped > 0 {
		out += fmt.Sprintf(" (%s already here)", count(skipped, "item", "items"))
	}
	return out
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
