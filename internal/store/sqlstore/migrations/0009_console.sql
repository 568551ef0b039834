-- 0009_console: administrators of the admin console and their sessions.
-- Administrators are not application users: they have a table of their own.
-- Usernames are unique whatever their case.
CREATE TABLE administrators (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_sign_in_at BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX administrators_username_key ON administrators (lower(username));

-- A session is found by the SHA-256 digest of its token; the token itself
-- is only ever in the administrator's cookie. Sessions go with their
-- administrator.
CREATE TABLE console_sessions (
    token_digest     {{BYTES}} PRIMARY KEY,
    administrator_id TEXT NOT NULL REFERENCES administrators (id) ON DELETE CASCADE,
    csrf_secret      TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    last_seen_at     BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL
);
CREATE INDEX console_sessions_administrator_id_idx ON console_sessions (administrator_id);
CREATE INDEX console_sessions_expires_at_idx ON console_sessions (expires_at);
