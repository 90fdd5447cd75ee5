"""Integrity verification of an OpsGraph database: what `opsgraph verify --integrity` runs on
a live database and `opsgraph backup restore` on the one it restored.

`snapshot` reads what a database holds (tables with row counts and checksums, the tenant
walls, the application role's grants, the outbox's and audit log's ends, the schema
revisions): a backup's manifest records one, and a restore compares the restored database's
with it. `checks` holds the rules any OpsGraph database must satisfy: human numbers gapless
and unique per tenant, the outbox sequence gapless, every audited entity present or
deleted on the record, every walled table walled, the application role's grants in place.
What to check comes from the registry (opsgraph/domains.py), never from a list of domains."""
