-- 0006_hooks: webhooks (Logto's hooks table), the outbox of deliveries
-- waiting to go out, and the record of every delivery attempt (Logto's
-- TriggerHook.* log entries).
-- signing_key is sealed with the key-encryption key (internal/seal).
-- events and config are JSON documents stored as TEXT.
CREATE TABLE hooks (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    event       TEXT NOT NULL DEFAULT '',
    events      TEXT NOT NULL DEFAULT '[]',
    config      TEXT NOT NULL,
    signing_key TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  BIGINT NOT NULL
);
CREATE INDEX hooks_created_at_idx ON hooks (created_at, id);

-- One row per event and hook, written in the transaction of the change the
-- event describes. Workers lease due rows (lease_until) before delivering.
CREATE TABLE hook_deliveries (
    id              TEXT PRIMARY KEY,
    hook_id         TEXT NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL
);
CREATE INDEX hook_deliveries_due_idx ON hook_deliveries (state, next_attempt_at);
CREATE INDEX hook_deliveries_hook_id_idx ON hook_deliveries (hook_id);
CREATE INDEX hook_deliveries_created_at_idx ON hook_deliveries (created_at);

CREATE TABLE hook_attempts (
    id            TEXT PRIMARY KEY,
    hook_id       TEXT NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    delivery_id   TEXT NOT NULL REFERENCES hook_deliveries (id) ON DELETE CASCADE,
    event         TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    success       BOOLEAN NOT NULL,
    status_code   INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    duration_ms   BIGINT NOT NULL DEFAULT 0,
    response_body TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL
);
CREATE INDEX hook_attempts_hook_id_idx ON hook_attempts (hook_id, created_at);
CREATE INDEX hook_attempts_delivery_id_idx ON hook_attempts (delivery_id);
CREATE INDEX hook_attempts_created_at_idx ON hook_attempts (created_at);
