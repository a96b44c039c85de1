-- +goose Up
-- Which of the user's documents a conversation answers from: '' none,
-- 'all', or one document's id.
ALTER TABLE conversations ADD COLUMN documents text NOT NULL DEFAULT '';

-- The passages an answer was given, in citation order ([1], [2], …). A
-- citation goes with its passage when the document is deleted.
CREATE TABLE message_sources (
    message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    ordinal    integer NOT NULL,
    chunk_id   uuid NOT NULL REFERENCES chunks (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (message_id, ordinal)
);
CREATE INDEX message_sources_chunk ON message_sources (chunk_id);

-- +goose Down
DROP TABLE message_sources;
ALTER TABLE conversations DROP COLUMN documents;
