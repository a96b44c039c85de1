-- +goose Up
-- What the assistant proposed to do in a user's connected accounts (a
-- draft reply, a calendar event). A proposal does nothing by itself: it is
-- carried out only when its owner confirms it. The payload (what would be
-- drafted or created) and the result are sealed; connector_id is a plain
-- id, checked again against the owner's connectors at confirmation.
CREATE TABLE assistant_proposals (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id      uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    connector_id    uuid NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('reply', 'event')),
    payload_sealed  bytea NOT NULL,
    status          text NOT NULL CHECK (status IN ('pending', 'executing', 'done', 'failed', 'dismissed')),
    result_sealed   bytea,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX assistant_proposals_message ON assistant_proposals (user_id, message_id, created_at);

-- Which tools an answer used, sealed, for the line under it ("Searched
-- your mail"). Tool results themselves are never stored.
CREATE TABLE message_tool_uses (
    message_id   uuid PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tools_sealed bytea NOT NULL
);
CREATE INDEX message_tool_uses_user ON message_tool_uses (user_id);

-- +goose Down
DROP TABLE message_tool_uses;
DROP TABLE assistant_proposals;
