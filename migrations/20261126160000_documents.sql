-- +goose Up
-- Uploaded documents and the chunks retrieval searches. Names, error texts,
-- file contents in flight, chunk texts and heading paths are sealed under
-- the owner's data key; embeddings are stored only after the owner's
-- secret orthogonal transform (enclave/vecxform), so cosine search works
-- and raw embeddings never reach the database.

-- An upload batch that background work reports on (GET /api/jobs/{id}).
CREATE TABLE jobs (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('ingest')),
    created_at timestamptz NOT NULL
);
CREATE INDEX jobs_user ON jobs (user_id);

CREATE TABLE documents (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    job_id       uuid REFERENCES jobs (id) ON DELETE SET NULL,
    name_sealed  bytea NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('pdf', 'docx', 'html', 'markdown', 'text', 'csv')),
    size_bytes   bigint NOT NULL,
    status       text NOT NULL CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
    error_code   text NOT NULL DEFAULT '',
    error_sealed bytea,
    chunks_total integer NOT NULL DEFAULT 0,
    chunks_done  integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX documents_list ON documents (user_id, created_at DESC, id DESC);
CREATE INDEX documents_job ON documents (job_id);

-- The uploaded file, sealed, from upload until ingestion ends either way.
CREATE TABLE document_blobs (
    document_id    uuid PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content_sealed bytea NOT NULL
);

CREATE TABLE chunks (
    id             uuid PRIMARY KEY,
    document_id    uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ordinal        integer NOT NULL,
    text_sealed    bytea NOT NULL,
    heading_sealed bytea NOT NULL,
    embedding      vector(384) NOT NULL,
    -- Blind-index tokens (keyed HMAC of each distinct word) of the heading
    -- and text: one array per chunk, found through a GIN index.
    tokens         bytea[] NOT NULL
);
CREATE INDEX chunks_user ON chunks (user_id, document_id, ordinal);
CREATE INDEX chunks_document ON chunks (document_id);
-- Approximate nearest neighbours over every user's transformed vectors;
-- queries filter to one user with pgvector's iterative index scans.
CREATE INDEX chunks_embedding ON chunks USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
CREATE INDEX chunks_tokens ON chunks USING gin (tokens);

-- +goose Down
DROP TABLE chunks, document_blobs, documents, jobs;
