-- +goose Up
-- Every message and every response signature referenced its user's row
-- directly, so each insert share-locked that one row: concurrent chats of
-- one user (an API client's parallel requests) piled their locks on it,
-- and Postgres turned each pile into a multixact, costing every insert.
-- Both references are redundant: a message belongs to a conversation,
-- which references the user, and a signature to a message; deleting a
-- user still cascades through them, and the store writes a message's
-- user_id from its conversation's row (see insertMessageSQL).
ALTER TABLE messages DROP CONSTRAINT messages_user_id_fkey;
ALTER TABLE completion_signatures DROP CONSTRAINT completion_signatures_user_id_fkey;

-- +goose Down
ALTER TABLE completion_signatures ADD CONSTRAINT completion_signatures_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE messages ADD CONSTRAINT messages_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
