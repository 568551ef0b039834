-- At most one API resource is the default one, as in Logto. Should an older
-- database hold several, the oldest keeps the flag.
UPDATE resources SET is_default = FALSE
WHERE is_default AND id <> (SELECT id FROM resources WHERE is_default ORDER BY created_at, id LIMIT 1);
CREATE UNIQUE INDEX resources_is_default_key ON resources (is_default) WHERE is_default;

-- Scope lists of a resource come back in creation order.
CREATE INDEX scopes_resource_id_created_at_idx ON scopes (resource_id, created_at, id);
