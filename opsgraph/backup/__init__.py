"""Backups: encrypted logical dumps with a manifest (`opsgraph backup create/verify/restore`),
base backups with continuous WAL archiving for point-in-time recovery of the embedded
PostgreSQL, and the integrity checks a restore ends with (opsgraph/integrity/)."""
