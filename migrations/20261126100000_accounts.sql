-- +goose Up
CREATE EXTENSION IF NOT EXISTS vector;

-- Which KEK version wraps new data keys; `confidant keys rotate` moves it.
CREATE TABLE key_state (
    singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    kek_version       integer NOT NULL DEFAULT 1,
    rotating_to       integer,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
INSERT INTO key_state DEFAULT VALUES;

-- User content is sealed (AES-256-GCM under the user's data key, which is
-- stored only wrapped by the enclave's KEK). The username is found through a
-- keyed hash of its lower-case form.
CREATE TABLE users (
    id                  uuid PRIMARY KEY,
    username_lookup     bytea NOT NULL UNIQUE,
    username_sealed     bytea NOT NULL,
    display_name_sealed bytea NOT NULL,
    wrapped_dek         bytea NOT NULL,
    kek_version         integer NOT NULL,
    is_owner            boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_kek_version ON users (kek_version);
-- At most one owner: the first account under invite-only registration.
CREATE UNIQUE INDEX users_one_owner ON users (is_owner) WHERE is_owner;

-- Keyed hashes of deleted users' ids. The enclave refuses to unwrap their
-- data keys; the same list is kept outside the database (see enclave/tombstone).
CREATE TABLE tombstones (
    id         bytea PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE passkeys (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id   bytea NOT NULL UNIQUE,
    credential      jsonb NOT NULL,
    name_sealed     bytea NOT NULL,
    sign_count      bigint NOT NULL DEFAULT 0,
    backup_eligible boolean NOT NULL DEFAULT false,
    backup_state    boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz
);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at);

CREATE TABLE sessions (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL UNIQUE,
    user_agent_sealed bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, last_seen_at DESC);

CREATE TABLE recovery_codes (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);
CREATE UNIQUE INDEX recovery_codes_hash ON recovery_codes (user_id, code_hash);

-- Ids are UUIDv7, so they sort by time for keyset pagination.
CREATE TABLE security_events (
    id                uuid PRIMARY KEY,
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind              text NOT NULL,
    user_agent_sealed bytea NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX security_events_user ON security_events (user_id, id DESC);

CREATE TABLE invites (
    id         uuid PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    created_by uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    used_by    uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX invites_creator ON invites (created_by, created_at DESC);

-- Pending WebAuthn ceremonies: the challenge lives here, not in process
-- memory, so any replica can finish a ceremony another one began. Both
-- blobs are sealed under the app key: a sign-up in progress names a person.
CREATE TABLE webauthn_ceremonies (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL,
    user_id      uuid REFERENCES users (id) ON DELETE CASCADE,
    session_data bytea NOT NULL,
    payload      bytea NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX webauthn_ceremonies_expiry ON webauthn_ceremonies (expires_at);

-- +goose Down
DROP TABLE webauthn_ceremonies, invites, security_events, recovery_codes, sessions, passkeys, tombstones, users, key_state;
