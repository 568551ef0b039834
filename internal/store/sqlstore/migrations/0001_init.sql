-- Gatehouse schema, version 1. Times are Unix milliseconds (BIGINT), JSON
-- documents are TEXT, and unique indexes are named table_columns_key so that
-- conflicts can be reported by field (see errors.go). Binary columns use a
-- placeholder that migrate.go replaces with BLOB or BYTEA.

CREATE TABLE applications (
    id                     TEXT PRIMARY KEY,
    name                   TEXT NOT NULL,
    description            TEXT NOT NULL DEFAULT '',
    type                   TEXT NOT NULL,
    oidc_client_metadata   TEXT NOT NULL DEFAULT '{}',
    custom_client_metadata TEXT NOT NULL DEFAULT '{}',
    custom_data            TEXT NOT NULL DEFAULT '{}',
    is_third_party         BOOLEAN NOT NULL DEFAULT FALSE,
    id_token_signing_alg   TEXT NOT NULL DEFAULT '',
    created_at             BIGINT NOT NULL
);
CREATE INDEX applications_created_at_idx ON applications (created_at, id);

CREATE TABLE application_secrets (
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    digest         {{BYTES}} NOT NULL,
    sealed         TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (application_id, name)
);

-- username, primary_email and primary_phone are NULL when empty, so that the
-- unique indexes ignore users without them.
CREATE TABLE users (
    id                 TEXT PRIMARY KEY,
    username           TEXT,
    primary_email      TEXT,
    primary_phone      TEXT,
    name               TEXT NOT NULL DEFAULT '',
    avatar             TEXT NOT NULL DEFAULT '',
    profile            TEXT NOT NULL DEFAULT '{}',
    custom_data        TEXT NOT NULL DEFAULT '{}',
    identities         TEXT NOT NULL DEFAULT '{}',
    password_digest    TEXT NOT NULL DEFAULT '',
    password_algorithm TEXT NOT NULL DEFAULT '',
    is_suspended       BOOLEAN NOT NULL DEFAULT FALSE,
    last_sign_in_at    BIGINT NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_primary_email_key ON users (lower(primary_email));
CREATE UNIQUE INDEX users_primary_phone_key ON users (primary_phone);
CREATE INDEX users_created_at_idx ON users (created_at, id);

CREATE TABLE resources (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    indicator        TEXT NOT NULL,
    access_token_ttl INTEGER NOT NULL DEFAULT 3600,
    is_default       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX resources_indicator_key ON resources (indicator);
CREATE INDEX resources_created_at_idx ON resources (created_at, id);

CREATE TABLE scopes (
    id          TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX scopes_resource_id_name_key ON scopes (resource_id, name);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    type        TEXT NOT NULL,
    is_default  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX roles_name_key ON roles (name);
CREATE INDEX roles_created_at_idx ON roles (created_at, id);

CREATE TABLE roles_scopes (
    role_id  TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    scope_id TEXT NOT NULL REFERENCES scopes (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, scope_id)
);
CREATE INDEX roles_scopes_scope_id_idx ON roles_scopes (scope_id);

CREATE TABLE users_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX users_roles_role_id_idx ON users_roles (role_id);

CREATE TABLE applications_roles (
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    role_id        TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (application_id, role_id)
);
CREATE INDEX applications_roles_role_id_idx ON applications_roles (role_id);

CREATE TABLE signing_keys (
    id         TEXT PRIMARY KEY,
    algorithm  TEXT NOT NULL,
    sealed     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    not_before BIGINT NOT NULL DEFAULT 0,
    retired_at BIGINT NOT NULL DEFAULT 0
);

-- Short-lived protocol state. family_id is '' for objects outside a grant.
CREATE TABLE oidc_objects (
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    family_id   TEXT NOT NULL DEFAULT '',
    payload     TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    consumed_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, id)
);
CREATE INDEX oidc_objects_family_id_idx ON oidc_objects (family_id);
CREATE INDEX oidc_objects_expires_at_idx ON oidc_objects (expires_at);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
