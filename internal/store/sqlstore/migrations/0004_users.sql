-- 0004_users: indexes for the Management API's user search.
--
-- A prefix search (search.primaryEmail=ann@%) becomes a range scan over
-- the identifier's index: lower(primary_email) >= 'ann@' AND < 'ann@' with
-- its last character incremented. That needs an index ordered byte by byte.
-- SQLite's unique indexes of 0001 already are (BINARY collation), but
-- PostgreSQL orders them by the database's collation (often en_US.UTF-8,
-- where a prefix is no contiguous range), so PostgreSQL gets the same
-- expressions again in the "C" collation. The lines marked so run on
-- PostgreSQL only (see dialect.go).
{{POSTGRES}} CREATE INDEX users_username_c_idx ON users ((lower(username) COLLATE "C"));
{{POSTGRES}} CREATE INDEX users_primary_email_c_idx ON users ((lower(primary_email) COLLATE "C"));
{{POSTGRES}} CREATE INDEX users_primary_phone_c_idx ON users ((primary_phone COLLATE "C"));
-- SQLite has nothing to do: a statement keeps the file from being empty.
SELECT 1;
