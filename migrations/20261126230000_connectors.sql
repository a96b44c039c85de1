-- +goose Up
-- Mail and calendar accounts a user connected, and what their syncs brought
-- in. Settings (credentials included), the display name, error texts and
-- the sync cursor are sealed under the owner's data key. Each synced item
-- is one sealed JSON blob: mail dates and event times are user data too.
-- An item's remote resource name (a folder path, a calendar href) may say
-- something about its owner, so it is kept only as a keyed hash under the
-- owner's blind-index key, which is what makes re-applying a batch an
-- upsert. Embeddings go through the owner's secret transform, keyword
-- tokens through the blind index, as for documents.
CREATE TABLE connectors (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('imap', 'caldav', 'google', 'microsoft')),
    name_sealed     bytea NOT NULL,
    settings_sealed bytea NOT NULL,
    status          text NOT NULL CHECK (status IN ('syncing', 'idle', 'error')),
    error_code      text NOT NULL DEFAULT '', -- one of a fixed set, for programs
    error_sealed    bytea,                    -- the message for the owner
    error_retry     boolean NOT NULL DEFAULT false, -- whether trying later may help
    cursor_sealed   bytea,
    items           integer NOT NULL DEFAULT 0,
    progress_done   integer NOT NULL DEFAULT 0,
    progress_total  integer NOT NULL DEFAULT 0,
    last_sync       timestamptz,
    last_error_at   timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX connectors_user ON connectors (user_id, created_at, id);
CREATE INDEX connectors_due ON connectors (last_sync) WHERE status <> 'syncing';

CREATE TABLE connector_mail (
    id           uuid PRIMARY KEY,
    connector_id uuid NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    resource_key bytea NOT NULL,
    data_sealed  bytea NOT NULL,
    embedding    vector(384),
    tokens       bytea[] NOT NULL
);
CREATE UNIQUE INDEX connector_mail_resource ON connector_mail (connector_id, resource_key);
CREATE INDEX connector_mail_user ON connector_mail (user_id);
CREATE INDEX connector_mail_tokens ON connector_mail USING gin (tokens);
CREATE INDEX connector_mail_embedding ON connector_mail USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);

-- One row per occurrence of an event inside the sync window; a batch that
-- carries an event replaces all of its occurrences. span_sealed holds the
-- occurrence's start and end alone, so a time-range query opens that small
-- value first and the whole blob only of the occurrences it keeps.
CREATE TABLE connector_events (
    id           uuid PRIMARY KEY,
    connector_id uuid NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    resource_key bytea NOT NULL,
    occurrence   integer NOT NULL, -- the occurrence's rank by start within its event
    span_sealed  bytea NOT NULL,
    data_sealed  bytea NOT NULL,
    tokens       bytea[] NOT NULL
);
CREATE UNIQUE INDEX connector_events_resource ON connector_events (connector_id, resource_key, occurrence);
CREATE INDEX connector_events_user ON connector_events (user_id);
CREATE INDEX connector_events_tokens ON connector_events USING gin (tokens);

-- +goose Down
DROP TABLE connector_events, connector_mail, connectors;
