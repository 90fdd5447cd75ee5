-- Runs once, when the postgres container initialises its data volume: the application role
-- OpsGraph's requests connect as, with a password (the server's host connections need one).
-- Migration 0002 finds it, checks it bypasses nothing, and grants it what requests need.
CREATE ROLE opsgraph_app LOGIN PASSWORD 'opsgraph_app';
