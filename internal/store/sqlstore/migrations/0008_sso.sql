-- 0008_sso: enterprise SSO connectors (Logto's sso_connectors) and the
-- identities users hold at them (Logto's user_sso_identities).
-- config is the connector's settings, client secrets included, sealed with
-- the key-encryption key (internal/seal). domains (a JSON array of email
-- domains) and branding (a JSON object) are stored as TEXT.
CREATE TABLE sso_connectors (
    id             TEXT PRIMARY KEY,
    provider_name  TEXT NOT NULL,
    connector_name TEXT NOT NULL,
    config         TEXT NOT NULL,
    domains        TEXT NOT NULL DEFAULT '[]',
    branding       TEXT NOT NULL DEFAULT '{}',
    sync_profile   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL
);
-- Logto keeps connector names unique (per tenant; Gatehouse has one).
CREATE UNIQUE INDEX sso_connectors_connector_name_key ON sso_connectors (connector_name);
CREATE INDEX sso_connectors_created_at_idx ON sso_connectors (created_at, id);

-- issuer is the OIDC issuer or the SAML IdP's entity id; identity_id the
-- subject there. Both cascades mirror Logto: an identity goes with its user
-- and with its connector.
CREATE TABLE user_sso_identities (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sso_connector_id TEXT NOT NULL REFERENCES sso_connectors (id) ON DELETE CASCADE,
    issuer           TEXT NOT NULL,
    identity_id      TEXT NOT NULL,
    detail           TEXT NOT NULL DEFAULT '{}',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX user_sso_identities_issuer_identity_id_key ON user_sso_identities (issuer, identity_id);
CREATE INDEX user_sso_identities_user_id_idx ON user_sso_identities (user_id, created_at, id);
CREATE INDEX user_sso_identities_sso_connector_id_idx ON user_sso_identities (sso_connector_id);
