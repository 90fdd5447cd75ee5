"""shared tables: the tenant directory, the outbox, the audit log, persisted operations

Revision ID: core_0001
Revises:
Create Date: 2026-12-05 08:30:00

The first revision of the `core` branch, which every domain's branch depends on. It creates
the application role (db/walls.py) and the schemas no domain owns:

- `tenancy.tenants` (the tenant directory, no tenant_id): no wall; the app role may only
  SELECT it. A request resolves its tenant from the `X-OpsGraph-Tenant` slug before any tenant
  is set, so the lookup must work with no tenant. Trade-off: a query as the app role can list
  every tenant's id, slug and name. These are the public routing keys of the API (clients send
  them in a header) and no GraphQL field reads the table; creating, renaming and deleting
  tenants stays with the owner.
- `events.outbox`: walled; the app role may INSERT (a mutation records its event under its own
  tenant) and SELECT only the columns the ORM reads back after the insert (`RETURNING id,
  created_at, updated_at`), not the payloads. The relay reads every tenant's events, so it
  uses the owner connection. `id` is taken when a transaction inserts its event, so under
  concurrent transactions ids commit out of order: the relay therefore stamps committed events
  with `seq`, under a transaction-level advisory lock, as max(seq) + 1, 2, ... in id order.
  `seq` is gapless and grows in the order events became visible, so "every event after seq N"
  is exact; it is the id clients see.
- `audit.entries` is range-partitioned on `recorded_at`. This revision creates only its DEFAULT
  partition, so an insert can never fail for want of a partition; the month partitions are the
  owner's business at run time (`db.audit_partitions.ensure_partitions`, called by the server
  at every start) in the `audit_partitions` schema, on which the application role has no
  USAGE: it reaches the records only through the parent. The application role may INSERT and
  SELECT audit records, nothing else, so the log is append-only for every request.
- `persisted.api_clients` (is a client safelist-only?) and `persisted.persisted_documents` (the
  operations registered for a client from its manifests), walled. The application role may
  add client records and documents, flip a client's safelist flag and lock a client's record
  while its manifest is registered (SELECT ... FOR UPDATE needs an UPDATE grant); documents are
  never changed or deleted by the application, and no other column of a client may change.

This history replaced the single linear one (revisions 0001-0006) when domains got their own
migration branches; db/migrate.py refuses a database still stamped with one of those.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db.walls import (
    drop_app_role_if_unused,
    drop_schema,
    ensure_app_role,
    grant,
    open_schema,
    unwall,
    wall,
)

revision: str = "core_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("core",)
depends_on: str | Sequence[str] | None = None

OPEN_SCHEMAS = ("tenancy", "events", "audit", "persisted")
PERSISTED = "persisted"
OUTBOX = "events.outbox"
AUDIT = "audit.entries"
CLIENTS = "persisted.api_clients"
DOCUMENTS = "persisted.persisted_documents"


def _row_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    ]


def upgrade() -> None:
    ensure_app_role()
    for schema in OPEN_SCHEMAS:
        open_schema(schema)
    op.execute("CREATE SCHEMA IF NOT EXISTS audit_partitions")  # no USAGE for the app role
    op.create_table(
        "tenants",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenants_slug")),
        schema="tenancy",
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        schema="events",
    )
    op.create_index(
        "ix_outbox_tenant_created",
        "outbox",
        ["tenant_id", "created_at"],
        unique=False,
        schema="events",
    )
    # Wake the outbox relay when events commit (NOTIFY is delivered at commit, once per
    # statement); the relay also polls, so a missed notification only delays delivery.
    op.execute(
        """
        CREATE FUNCTION events.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('opsgraph_outbox', '');
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER outbox_notify AFTER INSERT ON events.outbox "
        "FOR EACH STATEMENT EXECUTE FUNCTION events.notify_outbox()"
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        unique=False,
        schema="events",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.add_column("outbox", sa.Column("seq", sa.BigInteger(), nullable=True), schema="events")
    op.create_index("ux_outbox_seq", "outbox", ["seq"], unique=True, schema="events")
    op.create_index("ix_outbox_tenant_seq", "outbox", ["tenant_id", "seq"], schema="events")
    op.create_index(
        "ix_outbox_unsequenced",
        "outbox",
        ["id"],
        unique=False,
        schema="events",
        postgresql_where=sa.text("seq IS NULL"),
    )
    op.drop_index(
        "ix_outbox_unpublished",
        table_name="outbox",
        schema="events",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["seq"],
        unique=False,
        schema="events",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "entries",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column(
            "before",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "after",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=200), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", "recorded_at", name="pk_entries"),
        schema="audit",
        postgresql_partition_by="RANGE (recorded_at)",
    )
    op.create_index(
        "ix_entries_tenant_recorded", "entries", ["tenant_id", "recorded_at", "id"], schema="audit"
    )
    op.create_index(
        "ix_entries_tenant_entity",
        "entries",
        ["tenant_id", "entity_type", "entity_id", "recorded_at"],
        schema="audit",
    )
    op.create_index(
        "ix_entries_tenant_actor",
        "entries",
        ["tenant_id", "actor_id", "recorded_at"],
        schema="audit",
    )
    op.execute(f"CREATE TABLE audit_partitions.entries_default PARTITION OF {AUDIT} DEFAULT")
    op.create_table(
        "api_clients",
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("safelist_only", sa.Boolean(), server_default="false", nullable=False),
        *_row_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_clients")),
        sa.UniqueConstraint("tenant_id", "client_id", name="uq_api_clients_tenant_client"),
        schema=PERSISTED,
    )
    op.create_table(
        "persisted_documents",
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("document_id", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        *_row_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persisted_documents")),
        sa.UniqueConstraint(
            "tenant_id", "client_id", "document_id", name="uq_persisted_documents_client_id"
        ),
        schema=PERSISTED,
    )
    op.create_index(
        "ix_persisted_documents_client_sha256",
        "persisted_documents",
        ["tenant_id", "client_id", "sha256"],
        unique=False,
        schema=PERSISTED,
    )

    grant("tenancy.tenants", "SELECT")
    wall(OUTBOX, "INSERT, SELECT (id, created_at, updated_at)")
    wall(AUDIT, "SELECT, INSERT")
    wall(CLIENTS, "SELECT, INSERT, UPDATE (safelist_only, updated_at)")
    wall(DOCUMENTS, "SELECT, INSERT")


def downgrade() -> None:
    for table in (DOCUMENTS, CLIENTS, AUDIT, OUTBOX):
        unwall(table)
    op.execute("REVOKE ALL ON tenancy.tenants FROM opsgraph_app")
    op.drop_table("persisted_documents", schema=PERSISTED)
    op.drop_table("api_clients", schema=PERSISTED)
    # Dropping the parent drops every partition, DEFAULT and month ones alike.
    op.drop_table("entries", schema="audit")
    op.execute("DROP SCHEMA audit_partitions")
    op.execute("DROP TRIGGER outbox_notify ON events.outbox")
    op.execute("DROP FUNCTION events.notify_outbox()")
    op.drop_table("outbox", schema="events")
    op.drop_table("tenants", schema="tenancy")
    for schema in reversed(OPEN_SCHEMAS):
        drop_schema(schema)
    drop_app_role_if_unused()
