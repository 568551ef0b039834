-- 0009_console: administrators of the admin console and their sessions (being written).
SELECT 1;
