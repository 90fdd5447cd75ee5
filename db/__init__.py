"""Database access: the async engine, each domain's tables (one PostgreSQL schema per domain,
no foreign keys or joins across domains), Alembic migrations, the transactional outbox and the
embedded-PostgreSQL bootstrap. Knows no GraphQL; imports neither `subgraphs` nor `router`."""
