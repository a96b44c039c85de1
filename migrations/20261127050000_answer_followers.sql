-- +goose Up
-- Viewers on one replica of an answer another replica is writing. The
-- writer notifies (channel confidant_answer, payload: the message id) only
-- while a row here says someone elsewhere is waiting, so a lone replica
-- pays nothing for NOTIFY's commit-time lock. Unlogged: after a crash the
-- rows are worthless anyway, and viewers fall back to polling.
CREATE UNLOGGED TABLE answer_followers (
    message_id uuid NOT NULL,
    follower   uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (message_id, follower)
);
CREATE INDEX answer_followers_expires ON answer_followers (expires_at);

-- +goose Down
DROP TABLE answer_followers;
