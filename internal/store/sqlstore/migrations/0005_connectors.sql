-- 0005_connectors: email and SMS connectors (Logto's connectors table).
-- config holds the connector's settings, credentials included, sealed with
-- the key-encryption key (internal/seal); the database never sees them in
-- the clear when one is configured.
CREATE TABLE connectors (
    id                   TEXT PRIMARY KEY,
    connector_id         TEXT NOT NULL,
    config               TEXT NOT NULL,
    metadata             TEXT NOT NULL DEFAULT '{}',
    sync_profile         BOOLEAN NOT NULL DEFAULT FALSE,
    enable_token_storage BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           BIGINT NOT NULL
);
CREATE INDEX connectors_created_at_idx ON connectors (created_at, id);
