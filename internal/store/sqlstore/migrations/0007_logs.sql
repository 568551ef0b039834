-- 0007_logs: the audit log (Logto's logs table). payload is the JSON the
-- Management API returns, stored as TEXT; result, user_id and
-- application_id repeat its fields so that lists and the dashboard filter
-- on indexed columns instead of looking inside the document.
CREATE TABLE logs (
    id             TEXT PRIMARY KEY,
    log_key        TEXT NOT NULL,
    result         TEXT NOT NULL,
    user_id        TEXT NOT NULL DEFAULT '',
    application_id TEXT NOT NULL DEFAULT '',
    payload        TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
-- Lists go newest first (created_at, then id, in every index); retention
-- deletes the oldest.
CREATE INDEX logs_created_at_idx ON logs (created_at, id);
CREATE INDEX logs_key_idx ON logs (log_key, created_at, id);
-- Most entries of a busy server are machine tokens, which have no user:
-- the user index leaves them out (queries repeat user_id <> '').
CREATE INDEX logs_user_id_idx ON logs (user_id, created_at, id) WHERE user_id <> '';
CREATE INDEX logs_application_id_idx ON logs (application_id, created_at, id);
-- Key prefixes (ExchangeTokenBy.%) are range scans in code point order:
-- SQLite's index above already is; PostgreSQL needs the "C" collation.
{{POSTGRES}} CREATE INDEX logs_key_c_idx ON logs ((log_key COLLATE "C"), created_at);
