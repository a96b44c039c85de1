-- +goose Up
-- OAuth 2.0 authorization requests in flight (Google, Microsoft 365): one
-- row from the redirect to the provider until its callback. The state is
-- found by its hash only; the PKCE verifier is sealed under the user's key.
-- A row is taken once (deleted on use) and is good for a few minutes.
CREATE TABLE oauth_states (
    id              uuid PRIMARY KEY,
    state_hash      bytea NOT NULL UNIQUE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind            text NOT NULL,
    verifier_sealed bytea NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL
);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);

-- +goose Down
DROP TABLE oauth_states;
