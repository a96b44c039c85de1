package transfer

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"confidant/enclave/evidence"
	"confidant/inference/signing"
	"confidant/store"
)

// TTL is how long a destination waits for the source's upload.
const TTL = 15 * time.Minute

// MaxUpload caps the sealed stream a destination accepts.
const MaxUpload int64 = 4 << 30

// ExportFunc writes the user's export bundle to w.
type ExportFunc func(ctx context.Context, userID uuid.UUID, w io.Writer) error

// ImportFunc imports a bundle read from r into the user's account and
// says what it imported, in words. It must import all or nothing.
type ImportFunc func(ctx context.Context, userID uuid.UUID, r io.Reader) (string, error)

// Store is the part of the store transfers use.
type Store interface {
	CreateTransferIn(ctx context.Context, t store.TransferIn) error
	TransferInStatus(ctx context.Context, id uuid.UUID) (store.TransferInState, error)
	TransferIn(ctx context.Context, userID, id uuid.UUID) (store.TransferIn, error)
	ClaimTransferIn(ctx context.Context, id uuid.UUID, tokenHash []byte, now time.Time) (uuid.UUID, error)
	FinishTransferIn(ctx context.Context, userID, id uuid.UUID, state, errorCode, result string, bytes int64, now time.Time) error
	CreateTransferOut(ctx context.Context, t store.TransferOut) error
	UpdateTransferOut(ctx context.Context, userID, id uuid.UUID, state, errorCode string, bytes int64, now time.Time) error
	TransferOut(ctx context.Context, userID, id uuid.UUID) (store.TransferOut, error)
	UserByID(ctx context.Context, id uuid.UUID) (store.User, error)
}

// Reporter quotes a binding (attestation.Reporter).
type Reporter interface {
	BoundReport(ctx context.Context, binding, nonce [32]byte) (signing.Report, error)
}

// Config holds a Service's dependencies.
type Config struct {
	Store    Store
	Reporter Reporter
	// Seed is the enclave's transfer purpose key (keys.Keyring.TransferSeed).
	Seed []byte
	// Origin is this server's own origin (CONFIDANT_ORIGIN).
	Origin string
	// Verifier judges destinations: the same code as `confidant verify`,
	// with the transfer allowlist (CONFIDANT_TRANSFER_ALLOW) pinned.
	Verifier *evidence.Verifier
	// Simulated: this server's own enclave is simulated. Its outbound
	// requests may then reach loopback and private addresses.
	Simulated bool
	// AllowSimulated: CONFIDANT_TRANSFER_ALLOW_SIMULATED=1.
	AllowSimulated bool
	Export         ExportFunc
	Import         ImportFunc
	// Client makes peer requests; nil: NewClient(GuardedDialer(Simulated)).
	Client *http.Client
	// TempDir keeps sealed uploads while they are checked ("" = os default).
	TempDir string
	Now     func() time.Time
	Log     *slog.Logger
}

// Service runs both ends of fork transfers.
type Service struct {
	cfg Config
	// sends tracks running sends so tests and shutdown can wait for them.
	sends sync.WaitGroup
}

// New returns a Service with cfg.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Client == nil {
		cfg.Client = NewClient(GuardedDialer(cfg.Simulated))
	}
	return &Service{cfg: cfg}
}

// Origin returns this server's origin.
func (s *Service) Origin() string { return s.cfg.Origin }

// AllowsSimulated reports whether this server accepts simulated peers.
func (s *Service) AllowsSimulated() bool { return s.cfg.AllowSimulated }

// Now returns the service's clock.
func (s *Service) Now() time.Time { return s.cfg.Now() }
