-- +goose Up
-- The verdict on each answer: which attested backend wrote it and whether
-- its signature checks out, as sealed JSON (the signed text hashes the
-- user's question and answer).
ALTER TABLE messages ADD COLUMN verification_sealed bytea;

-- +goose Down
ALTER TABLE messages DROP COLUMN verification_sealed;
