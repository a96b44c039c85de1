-- +goose Up
-- Every stored message adds a search token row per distinct word, and each
-- row ran three foreign-key checks. Two of them guard nothing the third
-- does not: tokens go with their conversation (conversation_id cascades,
-- and a conversation goes with its user), and messages are only ever
-- deleted with their conversation. The user check was also the costliest:
-- every token row share-locked its user's row, so one user's concurrent
-- chats queued on it.
ALTER TABLE search_tokens DROP CONSTRAINT search_tokens_user_id_fkey;
ALTER TABLE search_tokens DROP CONSTRAINT search_tokens_message_id_fkey;

-- +goose Down
DELETE FROM search_tokens t WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id)
    OR (t.message_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = t.message_id));
ALTER TABLE search_tokens ADD CONSTRAINT search_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE search_tokens ADD CONSTRAINT search_tokens_message_id_fkey FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE;
