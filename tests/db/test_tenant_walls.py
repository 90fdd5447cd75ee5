"""The tenant walls in PostgreSQL itself (db/walls.py, applied by every migration), below any
application filter.

Queries here deliberately forget `WHERE tenant_id = ...`: row-level security alone must keep
each tenant to its own rows, as the application role that requests connect as."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.roles import APP_ROLE
from db.scope import RequestDatabase
from db.tables import attachments, audit, events, persisted
from db.tenants import create_tenant
from opsgraph.domains import REGISTRY
from subgraphs.cmdb import tables as cmdb
from subgraphs.cmdb.catalogue import builtin_id, ensure_builtin_classes
from subgraphs.identity import tables as identity
from subgraphs.incidents import bulk_tables
from subgraphs.incidents import tables as incidents
from subgraphs.incidents.alerts import tables as alert_tables
from subgraphs.incidents.custom_fields import tables as field_tables
from subgraphs.incidents.family import tables as family_tables
from subgraphs.problems import tables as problems
from subgraphs.webhooks import tables as webhooks

SCHEMAS = REGISTRY.migrations.schemas
# Every mapped table with a tenant_id (the shared ones and every registered domain's), and a
# column the application role may read that tells rows apart: its first primary-key column
# (the outbox grants only the columns an INSERT ... RETURNING reads back, its id among them).
WALLED = {
    f"{table.schema}.{table.name}": next(iter(table.primary_key.columns)).name
    for metadata in REGISTRY.migrations.metadata
    for table in metadata.tables.values()
    if "tenant_id" in table.c
}
Sessions = async_sessionmaker[AsyncSession]


async def one_row_everywhere(owner_sessions: Sessions, slug: str) -> uuid.UUID:
    """A new tenant with one row in every walled table (written by the owner); a domain that
    adds a table adds its row here."""
    async with owner_sessions() as session, session.begin():
        tenant = await create_tenant(session, slug, slug)
        user, team, incident = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        integration = uuid.uuid4()
        of_tenant = {"tenant_id": tenant}
        for table, row in (
            (identity.User, {"id": user, "name": "Ada", "email": f"ada@{slug}.io"}),
            (identity.Team, {"id": team, "name": "NOC"}),
            (identity.TeamMember, {"team_id": team, "user_id": user}),
            (identity.Role, {"name": "auditor", "permissions": ["audit:view"]}),
            (
                incidents.Incident,
                {
                    "id": incident,
                    "number": 1,
                    "title": f"Disk full at {slug}",
                    "status": "OPEN",
                    "priority": 2,
                    "impact": "MEDIUM",
                    "urgency": "MEDIUM",
                    "source": "MANUAL",
                    # Its token rows (custom field, its number, tag): the triggers'.
                    "custom_fields": {"region": "emea", "score": 7},
                    "tags": ["network"],
                },
            ),
            (
                incidents.IncidentComment,
                {"incident_id": incident, "body": "looking", "visibility": "WORK_NOTE"},
            ),
            (incidents.IncidentChange, {"incident_id": incident, "kind": "CREATED", "changes": {}}),
            (incidents.IncidentAffectedCi, {"incident_id": incident, "ci_id": uuid.uuid4()}),
            (incidents.IncidentNumber, {"last_number": 1}),
            (incidents.IncidentSettings, {"reopen_window_days": 3}),
            (family_tables.IncidentWatcher, {"incident_id": incident, "user_id": uuid.uuid4()}),
            (field_tables.IncidentField, {"name": "region", "type": "STRING"}),
            (
                alert_tables.Integration,
                {
                    "id": integration,
                    "kind": "ALERTMANAGER",
                    "name": "prometheus",
                    "secret_hash": "0" * 64,
                    "group_by": "ALERT",
                    "recovery_policy": "AUTO_RESOLVE",
                    "flap_window_minutes": 10,
                    "mapping": {},
                },
            ),
            (alert_tables.AlertNotification, {"integration_id": integration, "key": "k" * 64}),
            (bulk_tables.IncidentBulkUpdate, {"ids": [], "change": {}, "total": 0}),
            (alert_tables.CiName, {"ci_id": uuid.uuid4(), "name": f"db-{slug}"}),
            (
                alert_tables.IntegrationDelivery,
                {
                    "integration_id": integration,
                    "seq": 1,
                    "slot": 1,
                    "status_code": 200,
                    "outcome": {},
                    "payload": {},
                },
            ),
            (persisted.ApiClient, {"client_id": "partner", "safelist_only": True}),
            (
                persisted.PersistedDocument,
                {"client_id": "partner", "document_id": "q1", "sha256": "0" * 64, "body": "{a}"},
            ),
            (
                events.OutboxEvent,
                {
                    "domain": "incidents",
                    "kind": "incident.created",
                    "entity_type": "Incident",
                    "entity_id": incident,
                    # As the incidents domain writes it: consumers read these.
                    "payload": {
                        "id": str(incident),
                        "number": 1,
                        "changes": {"title": [None, f"Disk full at {slug}"]},
                    },
                },
            ),
            (
                audit.AuditEntry,
                {
                    "operation": "createIncident",
                    "entity_type": "Incident",
                    "entity_id": incident,
                    "request_id": "r1",
                },
            ),
        ):
            await session.execute(insert(table).values(**of_tenant, **row))
        problem = uuid.uuid4()
        for table, row in (
            (
                problems.Problem,
                {
                    "id": problem,
                    "number": 1,
                    "title": f"Disks fill at {slug}",
                    "status": "NEW",
                    "priority": 2,
                    "impact": "MEDIUM",
                    "urgency": "MEDIUM",
                },
            ),
            (
                problems.ProblemComment,
                {"problem_id": problem, "body": "looking", "visibility": "WORK_NOTE"},
            ),
            (problems.ProblemChange, {"problem_id": problem, "kind": "CREATED", "changes": {}}),
            (problems.ProblemAffectedCi, {"problem_id": problem, "ci_id": uuid.uuid4()}),
            (problems.ProblemIncident, {"problem_id": problem, "incident_id": incident}),
            (problems.ProblemNumber, {"last_number": 1}),
            (
                problems.IncidentFact,
                {
                    "incident_id": incident,
                    "number": 1,
                    "title": f"Disk full at {slug}",
                    "status": "OPEN",
                    "opened_at": datetime.now(UTC),
                },
            ),
        ):
            await session.execute(insert(table).values(**of_tenant, **row))
        hook, delivery = uuid.uuid4(), uuid.uuid4()
        for table, row in (
            (
                webhooks.Webhook,
                {
                    "id": hook,
                    "url": f"https://{slug}.example/hook",
                    "events": ["incident.created"],
                    "secret": "whsec_x",
                },
            ),
            (
                webhooks.WebhookDelivery,
                {
                    "id": delivery,
                    "webhook_id": hook,
                    "event_seq": 1,
                    "event_kind": "incident.created",
                    "entity_type": "Incident",
                    "entity_id": incident,
                    "body": {},
                    "status": "DELIVERED",
                },
            ),
            (
                webhooks.WebhookAttempt,
                {"delivery_id": delivery, "attempt": 1, "outcome": "DELIVERED"},
            ),
        ):
            await session.execute(insert(table).values(**of_tenant, **row))
        await ensure_builtin_classes(session, tenant)  # classes, attributes, types, rules
        server, switch, attachment = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        for table, row in (
            (
                cmdb.ConfigurationItem,
                {
                    "id": server,
                    "class_id": builtin_id(tenant, "class", "Server"),
                    "name": "web-01",
                    "status": "IN_SERVICE",
                    "environment": "PRODUCTION",
                    "criticality": 2,
                },
            ),
            (
                cmdb.ConfigurationItem,
                {
                    "id": switch,
                    "class_id": builtin_id(tenant, "class", "NetworkDevice"),
                    "name": "sw-01",
                    "status": "IN_SERVICE",
                    "environment": "PRODUCTION",
                    "criticality": 1,
                    "attributes": {"deviceType": "switch", "ports": 48},
                },
            ),
            (cmdb.CiChange, {"ci_id": server, "kind": "CREATED", "changes": {}}),
            (
                attachments.Attachment,
                {
                    "id": attachment,
                    "owner_type": "Incident",
                    "owner_id": incident,
                    "filename": "x.txt",
                    "content_type": "text/plain",
                    "size": 1,
                    "sha256": "0" * 64,
                    "store": "postgres",
                    "key": str(attachment),
                },
            ),
            (attachments.AttachmentChunk, {"attachment_id": attachment, "seq": 0, "data": b"x"}),
            (cmdb.IncidentReference, {"incident_id": incident, "ci_id": server, "role": "CI"}),
            (
                cmdb.CiRelationship,
                {
                    "parent_id": server,
                    "child_id": switch,
                    "type_id": builtin_id(tenant, "relationship-type", "CONNECTS_TO"),
                },
            ),
        ):
            await session.execute(insert(table).values(**of_tenant, **row))
    return tenant


@pytest.fixture
async def tenants(owner_sessions: Sessions) -> tuple[uuid.UUID, uuid.UUID]:
    """Tenants A and B, each with a row in every walled table."""
    suffix = uuid.uuid4().hex[:8]
    a = await one_row_everywhere(owner_sessions, f"wall-a-{suffix}")
    b = await one_row_everywhere(owner_sessions, f"wall-b-{suffix}")
    return a, b


async def owner_keys(owner_sessions: Sessions, table: str, tenant: uuid.UUID) -> set[Any]:
    async with owner_sessions() as session:
        rows = await session.execute(
            text(f"SELECT {WALLED[table]} FROM {table} WHERE tenant_id = :t"), {"t": tenant}
        )
        return {row[0] for row in rows}


async def test_the_app_role_neither_owns_nor_bypasses(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT current_user")) == APP_ROLE
        role = (
            await connection.execute(
                text(
                    "SELECT rolsuper, rolbypassrls, rolcanlogin, rolcreaterole, rolcreatedb,"
                    " oid FROM pg_roles WHERE rolname = :r"
                ),
                {"r": APP_ROLE},
            )
        ).one()
        owned = await connection.scalar(
            text(
                "SELECT (SELECT count(*) FROM pg_class WHERE relowner = :oid)"
                " + (SELECT count(*) FROM pg_namespace WHERE nspowner = :oid)"
                " + (SELECT count(*) FROM pg_proc WHERE proowner = :oid)"
            ),
            {"oid": role.oid},
        )
    assert (role.rolsuper, role.rolbypassrls, role.rolcanlogin) == (False, False, True)
    assert (role.rolcreaterole, role.rolcreatedb) == (False, False)
    assert owned == 0


# Restrictive policies (AND-ed with the wall): deleted incidents hidden (incidents_0006).
NARROWING = {"incidents.incidents": ["live_rows"]}


async def test_every_table_with_a_tenant_id_is_walled(owner_engine: AsyncEngine) -> None:
    """Every table with a tenant_id in a migrated schema is a mapped one, and walled."""
    async with owner_engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    """
                    SELECT n.nspname || '.' || c.relname AS name,
                           c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
                           array_agg(p.policyname ORDER BY p.policyname) FILTER (
                               WHERE p.permissive = 'PERMISSIVE') AS policies,
                           array_agg(p.cmd) FILTER (WHERE p.permissive = 'PERMISSIVE')
                               AS commands,
                           array_agg(p.roles::text) FILTER (WHERE p.permissive = 'PERMISSIVE')
                               AS roles,
                           array_agg(p.qual) FILTER (WHERE p.permissive = 'PERMISSIVE') AS quals,
                           array_agg(p.with_check) FILTER (WHERE p.permissive = 'PERMISSIVE')
                               AS checks,
                           array_agg(p.policyname) FILTER (WHERE p.permissive = 'RESTRICTIVE')
                               AS narrowing
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
                    LEFT JOIN pg_policies p ON p.schemaname = n.nspname AND p.tablename = c.relname
                    WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(:schemas)
                    GROUP BY 1, 2, 3
                    """
                ),
                {"schemas": list(SCHEMAS)},
            )
        ).all()
    assert {row.name for row in rows} == set(WALLED)
    wall = "(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)"
    for row in rows:
        # Enabled, forced, and one policy for every command and role (no other, permissive one).
        assert (row.enabled, row.forced, row.policies) == (True, True, ["tenant_wall"]), row
        assert (row.commands, row.roles, row.quals, row.checks) == (
            ["ALL"],
            ["{public}"],
            [wall],
            [wall],
        ), row
        # A restrictive policy can only narrow the wall: the ones there are, are known.
        assert (row.narrowing or []) == NARROWING.get(row.name, []), row


async def test_the_tenant_directory_is_read_only_for_the_app(owner_engine: AsyncEngine) -> None:
    async with owner_engine.connect() as connection:
        granted = await connection.scalar(
            text(
                "SELECT array_agg(p ORDER BY p) FROM unnest(ARRAY['SELECT','INSERT','UPDATE',"
                "'DELETE','TRUNCATE']) p WHERE has_table_privilege(:r, 'tenancy.tenants', p)"
            ),
            {"r": APP_ROLE},
        )
        outbox = await connection.scalar(
            text(
                "SELECT array_agg(p ORDER BY p) FROM unnest(ARRAY['SELECT','INSERT','UPDATE',"
                "'DELETE']) p WHERE has_table_privilege(:r, 'events.outbox', p)"
            ),
            {"r": APP_ROLE},
        )
    assert granted == ["SELECT"]
    assert outbox == ["INSERT"]  # plus SELECT on the read-back columns only


async def test_the_job_queue_only_takes_jobs_from_the_app(owner_engine: AsyncEngine) -> None:
    """The queue crosses tenants (core_0003): the application role may queue a job through
    procrastinate's defer function, and neither read nor change the queue's tables."""
    async with owner_engine.connect() as connection:
        tables = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_tables t, unnest(ARRAY['SELECT','INSERT','UPDATE',"
                "'DELETE']) p WHERE t.schemaname = 'jobs' "
                "AND has_table_privilege(:r, t.schemaname || '.' || t.tablename, p)"
            ),
            {"r": APP_ROLE},
        )
        functions = await connection.scalar(
            text(
                "SELECT array_agg(p.proname::text) FROM pg_proc p WHERE p.pronamespace = "
                "'jobs'::regnamespace AND has_function_privilege(:r, p.oid, 'EXECUTE')"
            ),
            {"r": APP_ROLE},
        )
    assert tables == 0
    assert functions == ["procrastinate_defer_jobs_v1"]


@pytest.mark.parametrize("table", sorted(WALLED))
async def test_a_query_that_forgets_the_tenant_sees_only_its_tenant(
    table: str,
    tenants: tuple[uuid.UUID, uuid.UUID],
    sessions: Sessions,
    owner_sessions: Sessions,
) -> None:
    a, b = tenants
    for tenant in (a, b):
        expected = await owner_keys(owner_sessions, table, tenant)
        assert expected  # the other tenant's rows are there to be hidden
        db = RequestDatabase(sessions, tenant)
        try:
            seen = set(await db.scalars(text(f"SELECT {WALLED[table]} FROM {table}")))
            if table != "events.outbox":
                tenant_ids = await db.scalars(text(f"SELECT DISTINCT tenant_id FROM {table}"))
                assert list(tenant_ids) == [tenant]
        finally:
            await db.close()
        assert seen == expected


@pytest.mark.parametrize("table", sorted(WALLED))
async def test_without_a_tenant_reads_return_nothing(
    table: str, tenants: tuple[uuid.UUID, uuid.UUID], sessions: Sessions
) -> None:
    async with sessions() as session:
        assert await session.scalar(text(f"SELECT count({WALLED[table]}) FROM {table}")) == 0


async def insert_comment(session: AsyncSession, tenant: uuid.UUID) -> None:
    await session.execute(
        insert(incidents.IncidentComment).values(
            tenant_id=tenant, incident_id=uuid.uuid4(), body="x", visibility="PUBLIC"
        )
    )


async def test_without_a_tenant_inserts_fail(
    tenants: tuple[uuid.UUID, uuid.UUID], sessions: Sessions
) -> None:
    a, _ = tenants
    async with sessions() as session:
        with pytest.raises(DBAPIError, match="row-level security"):
            await insert_comment(session, a)


async def test_writing_into_another_tenant_is_refused(
    tenants: tuple[uuid.UUID, uuid.UUID], sessions: Sessions, owner_sessions: Sessions
) -> None:
    a, b = tenants
    db = RequestDatabase(sessions, a)
    try:
        with pytest.raises(DBAPIError, match="row-level security"):
            async with db.unit_of_work() as session:
                await insert_comment(session, b)
        with pytest.raises(DBAPIError, match="row-level security"):
            async with db.unit_of_work() as session:  # moving a row out of the wall
                await session.execute(
                    text("UPDATE incidents.incidents SET tenant_id = :b"), {"b": b}
                )
        async with db.unit_of_work() as session:  # B's rows are out of reach, not an error
            changed = await session.execute(text("DELETE FROM incidents.incident_comments"))
            assert changed.rowcount == 1  # A's own comment only
    finally:
        await db.close()
    assert await owner_keys(owner_sessions, "incidents.incident_comments", b)


async def request_sees(sessions: Sessions, tenant: uuid.UUID) -> tuple[int, set[uuid.UUID]]:
    """One request's backend pid and the tenants of the incidents it can see."""
    db = RequestDatabase(sessions, tenant)
    try:
        pid = (await db.scalars(text("SELECT pg_backend_pid()")))[0]
        seen = set(await db.scalars(text("SELECT tenant_id FROM incidents.incidents")))
        async with db.unit_of_work() as session:  # a second transaction: set again
            assert await session.scalar(text("SELECT current_setting('app.tenant_id')")) == str(
                tenant
            )
        return pid, seen
    finally:
        await db.close()


async def test_the_tenant_setting_ends_with_the_transaction(
    tenants: tuple[uuid.UUID, uuid.UUID], one_connection: Sessions
) -> None:
    a, b = tenants
    pid_a, seen_a = await request_sees(one_connection, a)
    async with one_connection() as session:  # the same pooled connection, no tenant set
        assert await session.scalar(text("SELECT pg_backend_pid()")) == pid_a
        assert await session.scalar(text("SELECT current_setting('app.tenant_id', true)")) == ""
        assert await session.scalar(text("SELECT count(*) FROM incidents.incidents")) == 0
    pid_b, seen_b = await request_sees(one_connection, b)
    assert pid_b == pid_a
    assert (seen_a, seen_b) == ({a}, {b})


async def test_the_audit_log_is_append_only_for_the_app(
    tenants: tuple[uuid.UUID, uuid.UUID], sessions: Sessions, owner_sessions: Sessions
) -> None:
    a, _ = tenants
    async with owner_sessions() as session:
        granted = await session.scalar(
            text(
                "SELECT array_agg(p ORDER BY p) FROM unnest(ARRAY['SELECT','INSERT','UPDATE',"
                "'DELETE','TRUNCATE']) p WHERE has_table_privilege(:r, 'audit.entries', p)"
            ),
            {"r": APP_ROLE},
        )
    assert granted == ["INSERT", "SELECT"]
    db = RequestDatabase(sessions, a)
    try:
        for statement in (
            "UPDATE audit.entries SET operation = 'forged'",
            "DELETE FROM audit.entries",
            "TRUNCATE audit.entries",
            "SELECT count(*) FROM audit_partitions.entries_default",  # only through the parent
            "DELETE FROM audit_partitions.entries_default",
        ):
            with pytest.raises(DBAPIError, match="permission denied"):
                async with db.unit_of_work() as session:
                    await session.execute(text(statement))
    finally:
        await db.close()
    assert await owner_keys(owner_sessions, "audit.entries", a)
