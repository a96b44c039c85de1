-- +goose Up
-- Imports of other apps' exports and of Confidant bundles, run in the
-- background and reported at GET /api/jobs/{id}. The uploaded file stays
-- sealed under the owner's data key, in chunks, until the import ends
-- either way; counts are plain numbers; the error text is sealed.
CREATE TABLE imports (
    id                uuid PRIMARY KEY,
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    format            text NOT NULL DEFAULT '',
    state             text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    size_bytes        bigint NOT NULL,
    passphrase_sealed bytea,
    total             integer NOT NULL DEFAULT 0, -- conversations in the file, once it is validated
    position          integer NOT NULL DEFAULT 0, -- conversations handled, committed with what they wrote
    counts            jsonb NOT NULL DEFAULT '{}',
    error_code        text NOT NULL DEFAULT '',
    error_sealed      bytea,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX imports_user ON imports (user_id, created_at DESC);

CREATE TABLE import_blobs (
    import_id      uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ordinal        integer NOT NULL,
    content_sealed bytea NOT NULL,
    PRIMARY KEY (import_id, ordinal)
);

-- What was imported before, so importing the same file again (or a newer
-- export that overlaps it) adds only what is new: a keyed hash of
-- (source, kind, scope, external id) under a per-user key, never the ids.
CREATE TABLE import_items (
    user_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    item_key bytea NOT NULL,
    kind     text NOT NULL,
    local_id uuid NOT NULL,
    PRIMARY KEY (user_id, item_key)
);

-- +goose Down
DROP TABLE import_items, import_blobs, imports;
