-- +goose Up
-- Per-user settings with content, sealed like everything the user writes.
CREATE TABLE user_settings (
    user_id             uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    instructions_sealed bytea,
    updated_at          timestamptz NOT NULL
);

-- +goose Down
DROP TABLE user_settings;
