-- 0008_sso: enterprise SSO connectors and users' SSO identities (being written).
SELECT 1;
