-- +goose Up
-- Per-user API keys. Only a hash of the key is stored; the name is sealed.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name_sealed  bytea NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    scopes       text[] NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at DESC);

-- +goose Down
DROP TABLE api_keys;
