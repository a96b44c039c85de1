package chat

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"confidant/inference"
	"confidant/store"
)

// CodeBackendUnverified ends an answer that was never asked for: no
// backend passed verification, so nothing was sent.
const CodeBackendUnverified = "backend_unverified"

// ErrBackendUnverified marks a stream refused before any request because
// no backend passed verification.
var ErrBackendUnverified = errors.New("chat: no backend passed verification")

// ProvenBackend is a Backend that can say which attested backend wrote an
// answer, and check that answer's signature afterwards.
type ProvenBackend interface {
	Backend
	// StreamProven is Stream, returning what identifies the answer at
	// the backend that wrote it.
	StreamProven(ctx context.Context, model string, prompt []Prompt, onDelta func(string) error) (inference.Result, error)
	// CheckAnswer fetches and checks a finished answer's signature.
	CheckAnswer(ctx context.Context, res inference.Result) store.AnswerVerification
}

// checkTimeout bounds the signature check of one answer.
const checkTimeout = 30 * time.Second

// stream runs one answer through the backend; the result is nil unless
// the backend is a ProvenBackend.
func (s *Service) stream(ctx context.Context, model string, prompt []Prompt, onDelta func(string) error) (*inference.Result, error) {
	pb, ok := s.backend.(ProvenBackend)
	if !ok {
		return nil, s.backend.Stream(ctx, model, prompt, onDelta)
	}
	res, err := pb.StreamProven(ctx, model, prompt, onDelta)
	return &res, err
}

// recordRefusal stores why an answer was refused, so its notice and badge
// can say so.
func (s *Service) recordRefusal(userID, messageID uuid.UUID, err error) {
	reason := "no backend passed verification"
	var ue *inference.UnverifiedError
	if errors.As(err, &ue) && ue.Reason != "" {
		reason = ue.Reason
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.base), 5*time.Second)
	defer cancel()
	v := store.AnswerVerification{State: store.VerificationRed, Reason: reason, CheckedAt: s.opt.Now()}
	if err := s.store.SaveAnswerVerification(ctx, userID, messageID, v); err != nil {
		s.opt.Log.Warn("storing the refusal reason failed", "message", messageID, "err", err)
	}
}

// checkAnswer checks a complete answer's signature beside everything
// else. It returns the verdict when the check ends within
// Options.VerdictWait, to be written with the end state in the same row
// version rather than by a write of its own;
// otherwise a channel on which the verdict comes later (see
// saveLateVerdict). Both are nil when there is nothing to check.
func (s *Service) checkAnswer(res *inference.Result) (*store.AnswerVerification, <-chan store.AnswerVerification) {
	pb, ok := s.backend.(ProvenBackend)
	if !ok || res == nil {
		return nil, nil
	}
	verdict := make(chan store.AnswerVerification, 1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.base, checkTimeout)
		defer cancel()
		verdict <- pb.CheckAnswer(ctx, *res)
	}()
	if s.opt.VerdictWait < 0 {
		return nil, verdict
	}
	wait := time.NewTimer(s.opt.VerdictWait)
	defer wait.Stop()
	select {
	case v := <-verdict:
		s.logRed(res.ID, v)
		return &v, nil
	case <-wait.C:
		return nil, verdict
	}
}

// saveLateVerdict stores a verdict that came after the answer's end; the
// answer is already committed and shown, and its badge appears when the
// verdict lands.
func (s *Service) saveLateVerdict(userID, messageID uuid.UUID, late <-chan store.AnswerVerification) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		v := <-late
		s.logRed(messageID.String(), v)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(s.base), 5*time.Second)
		defer cancel()
		if err := s.store.SaveAnswerVerification(ctx, userID, messageID, v); err != nil {
			s.opt.Log.Warn("storing the answer's verification failed", "message", messageID, "err", err)
		}
	}()
}

func (s *Service) logRed(answer string, v store.AnswerVerification) {
	if v.State == store.VerificationRed {
		s.opt.Log.Warn("answer failed verification", "answer", answer, "backend", v.Backend, "reason", v.Reason)
	}
}
