-- +goose Up
-- Long-term memory: short facts about the user, sealed like everything the
-- user writes. Where each came from stays as plain ids; the embedding is
-- stored only after the user's secret transform (enclave/vecxform), so raw
-- embeddings never reach the database. A user has hundreds of memories,
-- not millions: nearest-neighbour search scans that user's rows exactly.
CREATE TABLE memories (
    id                     uuid PRIMARY KEY,
    user_id                uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text_sealed            bytea NOT NULL,
    kind                   text NOT NULL CHECK (kind IN ('explicit', 'automatic', 'manual')),
    source_conversation_id uuid REFERENCES conversations (id) ON DELETE SET NULL,
    source_message_id      uuid REFERENCES messages (id) ON DELETE SET NULL,
    embedding              vector, -- any dimension: searched exactly, per user
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    last_used_at           timestamptz
);
CREATE INDEX memories_user ON memories (user_id, updated_at DESC, id DESC);

-- Blind index of memory text (HMAC tokens under the user's key).
CREATE TABLE memory_tokens (
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    memory_id uuid NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    token     bytea NOT NULL
);
CREATE INDEX memory_tokens_lookup ON memory_tokens (user_id, token);
CREATE INDEX memory_tokens_memory ON memory_tokens (memory_id);

-- Which memories an answer was given: shown under the answer while they
-- exist.
CREATE TABLE message_memories (
    message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    memory_id  uuid NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (message_id, memory_id)
);
CREATE INDEX message_memories_memory ON message_memories (memory_id);

ALTER TABLE user_settings ADD COLUMN memory_paused boolean NOT NULL DEFAULT false;
-- A temporary chat neither reads nor writes memory.
ALTER TABLE conversations ADD COLUMN temporary boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE conversations DROP COLUMN temporary;
ALTER TABLE user_settings DROP COLUMN memory_paused;
DROP TABLE message_memories, memory_tokens, memories;
