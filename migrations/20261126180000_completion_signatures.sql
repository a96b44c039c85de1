-- +goose Up
-- What GET /v1/signature/{id} signs for the app's own API responses: the
-- hashes of the request body and of the response bytes. The text is
-- derived from user content, so it is sealed; it goes with its message.
CREATE TABLE completion_signatures (
    message_id  uuid PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text_sealed bytea NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX completion_signatures_user ON completion_signatures (user_id);

-- +goose Down
DROP TABLE completion_signatures;
