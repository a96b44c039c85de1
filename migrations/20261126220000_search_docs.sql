-- +goose Up
-- The blind index keeps one row per message (and one per title) with the
-- message's word tokens in an array, instead of one row per word: every
-- stored message now adds one row, one GIN entry list and one foreign-key
-- check, not a row, three B-tree entries and three foreign-key checks per
-- distinct word. Those checks share-locked the user's row once per word,
-- so one user's concurrent chats queued on it. Rows go with their
-- conversation (which goes with its user); messages are only ever deleted
-- with their conversation.
CREATE TABLE search_docs (
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL,
    message_id      uuid, -- NULL: the conversation's title
    tokens          bytea[] NOT NULL
);
CREATE INDEX search_docs_tokens ON search_docs USING gin (tokens);
CREATE UNIQUE INDEX search_docs_message ON search_docs (message_id) WHERE message_id IS NOT NULL;
CREATE UNIQUE INDEX search_docs_title ON search_docs (conversation_id) WHERE message_id IS NULL;

INSERT INTO search_docs (conversation_id, user_id, message_id, tokens)
SELECT conversation_id, user_id, message_id, array_agg(DISTINCT token) FROM search_tokens GROUP BY conversation_id, user_id, message_id;
DROP TABLE search_tokens;

-- +goose Down
CREATE TABLE search_tokens (
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id      uuid REFERENCES messages (id) ON DELETE CASCADE,
    token           bytea NOT NULL
);
INSERT INTO search_tokens (user_id, conversation_id, message_id, token)
SELECT d.user_id, d.conversation_id, d.message_id, unnest(d.tokens) FROM search_docs d
WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = d.user_id)
  AND (d.message_id IS NULL OR EXISTS (SELECT 1 FROM messages m WHERE m.id = d.message_id));
CREATE INDEX search_tokens_lookup ON search_tokens (user_id, token);
CREATE INDEX search_tokens_message ON search_tokens (message_id);
CREATE INDEX search_tokens_titles ON search_tokens (conversation_id) WHERE message_id IS NULL;
DROP TABLE search_docs;
