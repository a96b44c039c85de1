package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// answerChannel is the Postgres channel on which writers of an answer
// announce a commit; the payload is the message id, never content.
const answerChannel = "confidant_answer"

// notifyFollowersSQL wakes viewers waiting on other replicas, only when
// there are any: an empty answer_followers costs one index probe, no
// NOTIFY and so no commit-time notification lock.
const notifyFollowersSQL = `
	SELECT pg_notify('` + answerChannel + `', $1::uuid::text)
	WHERE EXISTS (SELECT 1 FROM answer_followers WHERE message_id = $1::uuid AND expires_at > now())`

// FollowAnswer records that follower (one replica) waits for commits of
// the answer messageID, for ttl; call it again before ttl runs out to
// keep waiting. Expired rows of crashed followers are swept here.
func (s *Store) FollowAnswer(ctx context.Context, messageID, follower uuid.UUID, ttl time.Duration) error {
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM answer_followers WHERE expires_at < now() - interval '1 minute'`)
	b.Queue(`
		INSERT INTO answer_followers (message_id, follower, expires_at) VALUES ($1, $2, now() + $3::interval)
		ON CONFLICT (message_id, follower) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
		messageID, follower, ttl.String())
	if err := s.db.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("follow answer: %w", err)
	}
	return nil
}

// UnfollowAnswer ends FollowAnswer.
func (s *Store) UnfollowAnswer(ctx context.Context, messageID, follower uuid.UUID) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM answer_followers WHERE message_id = $1 AND follower = $2`, messageID, follower); err != nil {
		return fmt.Errorf("unfollow answer: %w", err)
	}
	return nil
}

// ListenAnswers holds one connection of the pool listening for answer
// commits and calls wake with each committed message's id, until ctx ends
// (it then returns nil) or the connection fails (it returns the error;
// the caller reconnects). ready, if not nil, is called once listening.
func (s *Store) ListenAnswers(ctx context.Context, ready func(), wake func(messageID uuid.UUID)) error {
	pooled, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("listen for answers: %w", err)
	}
	// The connection will be LISTENing: never hand it back to the pool.
	conn := pooled.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+answerChannel); err != nil {
		return fmt.Errorf("listen for answers: %w", err)
	}
	if ready != nil {
		ready()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return nil
			}
			return fmt.Errorf("listen for answers: %w", err)
		}
		if id, err := uuid.Parse(n.Payload); err == nil {
			wake(id)
		}
	}
}

// AnswerFollowers counts the viewers registered for an answer, for tests
// and diagnostics; errors count as none.
func (s *Store) AnswerFollowers(ctx context.Context, messageID uuid.UUID) int {
	var n int
	_ = s.db.QueryRow(ctx, `SELECT count(*) FROM answer_followers WHERE message_id = $1`, messageID).Scan(&n)
	return n
}
