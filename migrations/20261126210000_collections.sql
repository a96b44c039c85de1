-- +goose Up
-- Collections group a user's documents, so a chat or a search can use a
-- set of them. Names are sealed; a document is in at most one collection.
CREATE TABLE collections (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name_sealed bytea NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX collections_user ON collections (user_id, created_at);
ALTER TABLE documents ADD COLUMN collection_id uuid REFERENCES collections (id) ON DELETE SET NULL;
CREATE INDEX documents_collection ON documents (collection_id) WHERE collection_id IS NOT NULL;

-- +goose Down
ALTER TABLE documents DROP COLUMN collection_id;
DROP TABLE collections;
