-- +goose Up
-- A full resync (a source's incremental state gone) ends by deleting what
-- it did not list again. A batch marked Reset starts a new generation of
-- its connector and flags a sweep; every item stored or re-stored records
-- the generation it was stored in; when the sync completes, the sweep
-- deletes the connector's items of older generations and clears the flag.
-- A sync cut off mid-way keeps the flag, so the resumed one sweeps.
ALTER TABLE connectors
    ADD COLUMN generation bigint NOT NULL DEFAULT 0,
    ADD COLUMN sweep_pending boolean NOT NULL DEFAULT false;
ALTER TABLE connector_mail ADD COLUMN generation bigint NOT NULL DEFAULT 0;
ALTER TABLE connector_events ADD COLUMN generation bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE connector_events DROP COLUMN generation;
ALTER TABLE connector_mail DROP COLUMN generation;
ALTER TABLE connectors DROP COLUMN sweep_pending, DROP COLUMN generation;
