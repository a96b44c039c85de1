package transfer

import (
	"bytes"
	"context"
	"crypto/hpke"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"

	"confidant/store"
)

// maxOfferBytes caps the offer read from a destination.
const maxOfferBytes = 16 << 20

// sendTimeout bounds one send, from export to the destination's answer.
const sendTimeout = 30 * time.Minute

// StaleAfter is how long a send or a receive may go without a word before
// it counts as cut off (the process that ran it stopped).
const StaleAfter = sendTimeout + 5*time.Minute

// Inspect fetches the offer of transfer id from the destination at to
// with a fresh nonce and verifies it (VerifyOffer). The Verification is
// filled as far as the checks got, also when it returns an error, so the
// page can show what was found.
func (s *Service) Inspect(ctx context.Context, to, id string) (Verification, error) {
	origin, err := ParseOrigin(to)
	if err != nil {
		return Verification{}, err
	}
	if err := s.checkScheme(origin); err != nil {
		return Verification{Origin: origin}, err
	}
	tid, err := uuid.Parse(id)
	if err != nil {
		return Verification{Origin: origin}, ErrNotFound
	}
	if origin == s.cfg.Origin {
		return Verification{Origin: origin, TransferID: tid}, ErrSameOrigin
	}
	var nonce [32]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return Verification{}, fmt.Errorf("transfer: nonce: %w", err)
	}
	o, err := s.fetchOffer(ctx, origin, tid, nonce)
	if err != nil {
		return Verification{Origin: origin, TransferID: tid}, err
	}
	return VerifyOffer(ctx, s.cfg.Verifier, o, tid, origin, nonce, Policy{AllowSimulated: s.cfg.AllowSimulated})
}

// fetchOffer GETs the destination's offer for nonce.
func (s *Service) fetchOffer(ctx context.Context, origin string, id uuid.UUID, nonce [32]byte) (Offer, error) {
	target := origin + "/v1/transfer/" + id.String() + "/offer?" + url.Values{"nonce": {hex.EncodeToString(nonce[:])}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return Offer{}, fmt.Errorf("%w: %v", ErrOffer, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		if errors.Is(err, ErrBlockedAddress) {
			return Offer{}, ErrBlockedAddress
		}
		return Offer{}, fmt.Errorf("%w: the destination could not be reached", ErrOffer)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxOfferBytes))
	if err != nil {
		return Offer{}, fmt.Errorf("%w: %v", ErrOffer, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return Offer{}, ErrNotFound
	case resp.StatusCode != http.StatusOK:
		return Offer{}, fmt.Errorf("%w: it answered HTTP %d", ErrOffer, resp.StatusCode)
	}
	var o Offer
	if err := json.Unmarshal(body, &o); err != nil {
		return Offer{}, fmt.Errorf("%w: the answer is not an offer", ErrOffer)
	}
	return o, nil
}

// SendRequest is what the person confirmed on the source.
type SendRequest struct {
	To    string
	ID    string
	Token string
	// PublicKey is the destination key the person reviewed; the send
	// refuses any other.
	PublicKey []byte
}

// Send verifies the destination again (a fresh nonce: what was shown may
// be minutes old), then exports userID's data and streams it, sealed to
// the reviewed key, in the background. It returns the id of the send,
// whose progress Outgoing reports.
func (s *Service) Send(ctx context.Context, userID uuid.UUID, req SendRequest) (uuid.UUID, error) {
	v, err := s.Inspect(ctx, req.To, req.ID)
	if err != nil {
		return uuid.Nil, err
	}
	if !bytes.Equal(v.PublicKey, req.PublicKey) {
		return uuid.Nil, ErrKeyChanged
	}
	pub, err := ParsePublicKey(v.PublicKey)
	if err != nil {
		return uuid.Nil, err
	}
	now := s.cfg.Now()
	out := store.TransferOut{ID: uuid.New(), UserID: userID, TransferID: v.TransferID, Destination: v.Origin, CreatedAt: now}
	if err := s.cfg.Store.CreateTransferOut(ctx, out); err != nil {
		return uuid.Nil, err
	}
	s.sends.Add(1)
	go func() {
		defer s.sends.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		defer cancel()
		sent, code, err := s.send(ctx, userID, out, v, req.Token, pub)
		state := store.TransferDone
		if err != nil {
			state = store.TransferFailed
			s.cfg.Log.Warn("transfer send failed", "send", out.ID, "code", code, "err", err)
		}
		if err := s.cfg.Store.UpdateTransferOut(ctx, userID, out.ID, state, code, sent, s.cfg.Now()); err != nil {
			s.cfg.Log.Error("transfer send: record outcome", "send", out.ID, "err", err)
		}
	}()
	return out.ID, nil
}

// Send error codes, shown on the progress page in words.
const (
	CodeExport      = "export_failed"
	CodeUnreachable = "destination_unreachable"
	CodeRefused     = "destination_refused"
)

// send runs one send: export → seal → POST, with progress recorded.
func (s *Service) send(ctx context.Context, userID uuid.UUID, out store.TransferOut, v Verification, token string, pk hpke.PublicKey) (int64, string, error) {
	bundleR, bundleW := io.Pipe()
	go func() { bundleW.CloseWithError(s.cfg.Export(ctx, userID, bundleW)) }()
	sealedR, sealedW := io.Pipe()
	var sent int64
	last := s.cfg.Now()
	progress := func(n int64) {
		sent = n
		if now := s.cfg.Now(); now.Sub(last) > 500*time.Millisecond {
			last = now
			_ = s.cfg.Store.UpdateTransferOut(ctx, userID, out.ID, store.TransferSending, "", n, now)
		}
	}
	exportFailed := make(chan error, 1)
	go func() {
		err := Seal(sealedW, pk, v.TransferID, v.Origin, bundleR, progress)
		exportFailed <- err
		sealedW.CloseWithError(err)
		bundleR.CloseWithError(io.ErrClosedPipe)
	}()
	target := v.Origin + "/v1/transfer/" + v.TransferID.String() + "/upload"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, sealedR)
	if err != nil {
		return 0, CodeUnreachable, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	if s.cfg.Simulated {
		req.Header.Set(HeaderSourceEnclave, "simulated")
	}
	resp, err := s.cfg.Client.Do(req)
	sealedR.CloseWithError(io.ErrClosedPipe)
	sealErr := <-exportFailed
	if sealErr != nil && !errors.Is(sealErr, io.ErrClosedPipe) {
		return sent, CodeExport, sealErr
	}
	if err != nil {
		// A *url.Error names the destination, which is sealed at rest:
		// keep only what went wrong, not where.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return sent, CodeUnreachable, fmt.Errorf("upload: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e)
		return sent, CodeRefused, fmt.Errorf("the destination refused the upload (HTTP %d, %s)", resp.StatusCode, e.Error.Code)
	}
	return sent, "", nil
}

// HeaderSourceEnclave tells the destination that the source is simulated.
const HeaderSourceEnclave = "Confidant-Source-Enclave"

// Outgoing returns the user's send id (another user's is not found).
func (s *Service) Outgoing(ctx context.Context, userID, id uuid.UUID) (store.TransferOut, error) {
	return s.cfg.Store.TransferOut(ctx, userID, id)
}

// Wait blocks until every running send has finished or ctx ends.
func (s *Service) Wait(ctx context.Context) {
	done := make(chan struct{})
	go func() { s.sends.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
