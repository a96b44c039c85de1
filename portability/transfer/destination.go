package transfer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/google/uuid"

	"confidant/store"
)

// Created is a new transfer on the destination.
type Created struct {
	ID     uuid.UUID
	Source string // the source's origin
	// Next is where the user's browser goes: the source's confirmation
	// page, carrying the transfer id and the one-time upload token.
	Next string
}

// Create starts a transfer that brings userID's data from the server at
// sourceURL to this one.
func (s *Service) Create(ctx context.Context, userID uuid.UUID, sourceURL string) (Created, error) {
	source, err := ParseOrigin(sourceURL)
	if err != nil {
		return Created{}, err
	}
	if err := s.checkScheme(source); err != nil {
		return Created{}, err
	}
	if source == s.cfg.Origin {
		return Created{}, ErrSameOrigin
	}
	tok := make([]byte, 32)
	if _, err := rand.Read(tok); err != nil {
		return Created{}, fmt.Errorf("transfer: token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(tok)
	now := s.cfg.Now()
	t := store.TransferIn{ID: uuid.New(), UserID: userID, Source: source, TokenHash: tokenHash(token), CreatedAt: now, ExpiresAt: now.Add(TTL)}
	if err := s.cfg.Store.CreateTransferIn(ctx, t); err != nil {
		return Created{}, err
	}
	q := url.Values{"to": {s.cfg.Origin}, "id": {t.ID.String()}, "token": {token}}
	return Created{ID: t.ID, Source: source, Next: source + "/transfer/out?" + q.Encode()}, nil
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte("confidant/transfer/v1/token\x00" + token))
	return h[:]
}

// Offer returns the offer of transfer id for the caller's nonce: this
// server's attestation binding the transfer's key, id and origin.
func (s *Service) Offer(ctx context.Context, id uuid.UUID, nonce [32]byte) (Offer, error) {
	st, err := s.cfg.Store.TransferInStatus(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && st.State != store.TransferOffered) {
		return Offer{}, ErrNotFound
	}
	if err != nil {
		return Offer{}, err
	}
	if !s.cfg.Now().Before(st.ExpiresAt) {
		return Offer{}, ErrExpired
	}
	o, err := MakeOffer(ctx, s.cfg.Reporter, s.cfg.Seed, id, s.cfg.Origin, nonce, st.ExpiresAt, s.cfg.AllowSimulated)
	if err != nil {
		return Offer{}, err
	}
	u, err := s.cfg.Store.UserByID(ctx, st.UserID)
	if err != nil {
		return Offer{}, err
	}
	o.Account = u.Username
	return o, nil
}

// MakeOffer builds the offer of transfer id at origin for nonce: the key
// derived from seed, and a report from r binding it.
func MakeOffer(ctx context.Context, r Reporter, seed []byte, id uuid.UUID, origin string, nonce [32]byte, expires time.Time, allowSimulated bool) (Offer, error) {
	priv, err := DeriveKey(seed, id)
	if err != nil {
		return Offer{}, err
	}
	pub := publicKeyOf(priv)
	report, err := r.BoundReport(ctx, Binding(pub, id, origin), nonce)
	if err != nil {
		return Offer{}, err
	}
	return Offer{TransferID: id, Origin: origin, PublicKey: hex.EncodeToString(pub), KEM: SuiteKEM, KDF: SuiteKDF, AEAD: SuiteAEAD,
		ExpiresAt: expires.UTC(), AllowSimulated: allowSimulated, Report: report}, nil
}

// Upload is one source's upload of a sealed stream.
type Upload struct {
	ID    uuid.UUID
	Token string
	// SourceSimulated is what the source says of its own enclave.
	SourceSimulated bool
	Body            io.Reader
}

// Error codes a finished transfer carries (never user content).
const (
	CodeTampered  = "stream_rejected"
	CodeTooLarge  = "too_large"
	CodeImport    = "import_failed"
	CodeSimulated = "simulated_refused"
	CodeInternal  = "internal"
)

// Receive takes the one upload of a transfer: it claims the transfer with
// the token (a second upload, a wrong token or a late one gets
// ErrNotFound), keeps the sealed stream in a temporary file, checks every
// chunk, and only then opens it again into the importer, so a tampered,
// reordered or truncated stream imports nothing. The transfer ends done or
// failed; the error says why.
func (s *Service) Receive(ctx context.Context, up Upload) error {
	userID, err := s.cfg.Store.ClaimTransferIn(ctx, up.ID, tokenHash(up.Token), s.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	n, code, err := s.receive(ctx, userID, up)
	state, result := store.TransferDone, ""
	if err != nil {
		state = store.TransferFailed
		s.cfg.Log.Warn("transfer failed", "transfer", up.ID, "code", code, "err", err)
	} else {
		result = code
		code = ""
	}
	// The outcome is recorded even when the request was cancelled.
	if ferr := s.cfg.Store.FinishTransferIn(context.WithoutCancel(ctx), userID, up.ID, state, code, result, n, s.cfg.Now()); ferr != nil && err == nil {
		err = ferr
	}
	return err
}

// receive checks and imports up; on success the code is the import's
// result.
func (s *Service) receive(ctx context.Context, userID uuid.UUID, up Upload) (int64, string, error) {
	if up.SourceSimulated && !s.cfg.AllowSimulated {
		return 0, CodeSimulated, fmt.Errorf("%w: the source is simulated and this server does not allow simulated peers (CONFIDANT_TRANSFER_ALLOW_SIMULATED=1)", ErrSimulatedPeer)
	}
	priv, err := DeriveKey(s.cfg.Seed, up.ID)
	if err != nil {
		return 0, CodeInternal, err
	}
	f, err := os.CreateTemp(s.cfg.TempDir, "transfer-*.sealed")
	if err != nil {
		return 0, CodeInternal, fmt.Errorf("transfer: temporary file: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	// Only ciphertext touches the disk.
	size, err := io.Copy(f, io.LimitReader(up.Body, MaxUpload+1))
	if err != nil {
		return 0, CodeTampered, fmt.Errorf("transfer: receive: %w", err)
	}
	if size > MaxUpload {
		return 0, CodeTooLarge, ErrTooLarge
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, CodeInternal, err
	}
	n, err := Open(io.Discard, priv, up.ID, s.cfg.Origin, f)
	if err != nil {
		return 0, CodeTampered, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return n, CodeInternal, err
	}
	pr, pw := io.Pipe()
	opened := make(chan struct{})
	go func() {
		defer close(opened)
		_, err := Open(pw, priv, up.ID, s.cfg.Origin, f)
		pw.CloseWithError(err)
	}()
	result, err := s.cfg.Import(ctx, userID, pr)
	pr.CloseWithError(io.ErrClosedPipe) // an importer that stopped early unblocks the opener
	<-opened
	if err != nil {
		return n, CodeImport, fmt.Errorf("transfer: import: %w", err)
	}
	return n, result, nil
}

// Incoming returns the user's transfer id (another user's is not found).
func (s *Service) Incoming(ctx context.Context, userID, id uuid.UUID) (store.TransferIn, error) {
	return s.cfg.Store.TransferIn(ctx, userID, id)
}
