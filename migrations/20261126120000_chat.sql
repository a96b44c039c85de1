-- +goose Up
-- Conversations and their messages. Titles and message text are sealed
-- under the owner's data key; the tree of messages (parent_id) is plain so
-- branches can be walked without unsealing.
CREATE TABLE conversations (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title_sealed bytea,
    model        text NOT NULL,
    pinned       boolean NOT NULL DEFAULT false,
    archived     boolean NOT NULL DEFAULT false,
    current_leaf uuid,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX conversations_list ON conversations (user_id, archived, pinned DESC, updated_at DESC, id DESC);

CREATE TABLE messages (
    id              uuid PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_id       uuid REFERENCES messages (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content_sealed  bytea NOT NULL,
    status          text NOT NULL CHECK (status IN ('streaming', 'complete', 'stopped', 'interrupted', 'failed')),
    model           text NOT NULL DEFAULT '',
    error_code      text NOT NULL DEFAULT '',
    content_length  integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';

-- Blind index for keyword search: HMAC tokens of each word under a per-user
-- key, never the words.
CREATE TABLE search_tokens (
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id      uuid REFERENCES messages (id) ON DELETE CASCADE,
    token           bytea NOT NULL
);
CREATE INDEX search_tokens_lookup ON search_tokens (user_id, token);
CREATE INDEX search_tokens_message ON search_tokens (message_id);
CREATE INDEX search_tokens_titles ON search_tokens (conversation_id) WHERE message_id IS NULL;

-- +goose Down
DROP TABLE search_tokens, messages, conversations;
