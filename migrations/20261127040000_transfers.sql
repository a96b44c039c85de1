-- +goose Up
-- Fork-to-fork transfers (docs/fork-transfer.md). transfers_in lives on the
-- destination: one row per "bring my data from …", with the hash of the
-- one-time upload token (never the token) and where the transfer stands.
-- The transfer's HPKE private key is not stored: it is derived inside the
-- enclave from the transfer purpose key and the row id. The source's
-- address is user-supplied, so it is sealed.
CREATE TABLE transfers_in (
    id                 uuid PRIMARY KEY,
    user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source_sealed      bytea NOT NULL,
    token_hash         bytea NOT NULL,
    state              text NOT NULL CHECK (state IN ('offered', 'receiving', 'done', 'failed')),
    error_code         text NOT NULL DEFAULT '',
    bytes_received     bigint NOT NULL DEFAULT 0,
    result_sealed      bytea, -- what was imported, in words (counts)
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL
);
CREATE INDEX transfers_in_user ON transfers_in (user_id, created_at DESC);

-- transfers_out lives on the source: one row per confirmed send, for the
-- progress page. The destination's address is sealed like any
-- user-supplied text.
CREATE TABLE transfers_out (
    id                 uuid PRIMARY KEY,
    user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    transfer_id        uuid NOT NULL,
    destination_sealed bytea NOT NULL,
    state              text NOT NULL CHECK (state IN ('sending', 'done', 'failed')),
    error_code         text NOT NULL DEFAULT '',
    bytes_sent         bigint NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE INDEX transfers_out_user ON transfers_out (user_id, created_at DESC);

-- +goose Down
DROP TABLE transfers_out, transfers_in;
