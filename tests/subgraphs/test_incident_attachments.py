"""Incident attachments against real PostgreSQL (the shared facility, resolvers/
attachments/, used by the incidents subgraph): a file stored in chunks with its sha256 and
sniffed type, its history entry, outbox event and audit record; the size limit and the other
refusals change nothing; removal; the list read in the same number of statements for any
page; and the facility's small rules (sniffing, file names, the download header)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import obstore
import obstore.store
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import UploadFile

from db.scope import SET_TENANT
from db.tables import attachments as attachment_tables
from db.tables import audit, events, tenancy
from opsgraph.domains import REGISTRY
from opsgraph.seed import seed_demo
from resolvers.attachments import config
from resolvers.attachments.download import content_disposition
from resolvers.attachments.s3_store import S3Store
from resolvers.attachments.store import CHUNK_BYTES
from resolvers.attachments.storing import safe_filename, sniffed_type
from resolvers.context import Context
from resolvers.jobs import Job
from resolvers.references import EntityPresence
from subgraphs.incidents import deletion, tables
from subgraphs.incidents.schema import schema as incidents_schema
from tests.support import Subgraph, count_rows

Sessions = async_sessionmaker[AsyncSession]

CREATE = "mutation($t: String!) { createIncident(input: {title: $t}) { id } }"
ADD = """mutation($id: ID!, $file: Upload!) { addIncidentAttachment(incidentId: $id, file: $file)
  { id filename contentType size sha256 uploadedBy { id } url } }"""
DELETE = "mutation($id: ID!) { deleteIncidentAttachment(id: $id) { id attachments { id } } }"
READ = """query($id: ID!) { incident(id: $id) { attachments { id filename size }
  history { kind changes { field oldValue newValue } } } }"""
PDF = b"%PDF-1.7\n" + bytes(100)


def upload(content: bytes, name: str = "notes.txt") -> UploadFile:
    """What the router's multipart parser hands the subgraph."""
    return UploadFile(io.BytesIO(content), filename=name)


async def new(incidents: Subgraph) -> str:
    return str((await incidents.ok(CREATE, t="x"))["createIncident"]["id"])


async def written(owner_sessions: Sessions, tenant_id: uuid.UUID) -> dict[str, int]:
    return {
        table.__tablename__: await count_rows(owner_sessions, table, tenant_id)
        for table in (
            attachment_tables.Attachment,
            attachment_tables.AttachmentChunk,
            tables.IncidentChange,
            events.OutboxEvent,
            audit.AuditEntry,
        )
    }


@pytest.fixture
def small_limit() -> Iterator[int]:
    """The process's attachment settings with a limit of 1000 bytes, restored after."""
    before = config.current()
    config.configure(config.AttachmentConfig(max_bytes=1000, signer=before.signer))
    yield 1000
    config.configure(before)


async def test_a_file_is_stored_in_chunks_with_its_hash_type_and_records(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    incident = await new(incidents)
    content = PDF + bytes(2 * CHUNK_BYTES)  # three chunks
    added = (await incidents.ok(ADD, id=incident, file=upload(content, "a/b\\report.txt")))[
        "addIncidentAttachment"
    ]
    assert added["filename"] == "report.txt"
    assert added["contentType"] == "application/pdf"
    assert added["size"] == len(content)
    assert added["sha256"] == hashlib.sha256(content).hexdigest()
    assert added["url"].startswith("/incidents/attachments?token=")

    async with owner_sessions() as session:
        chunks = await session.scalars(
            select(attachment_tables.AttachmentChunk.data)
            .where(attachment_tables.AttachmentChunk.attachment_id == uuid.UUID(added["id"]))
            .order_by(attachment_tables.AttachmentChunk.seq)
        )
        assert b"".join(chunks) == content
        kinds = await session.scalars(
            select(events.OutboxEvent.kind)
            .where(events.OutboxEvent.entity_id == uuid.UUID(incident))
            .order_by(events.OutboxEvent.id)
        )
        assert list(kinds)[-1] == "incident.attachment_added"
        entry = await session.scalar(
            select(audit.AuditEntry)
            .where(audit.AuditEntry.entity_id == uuid.UUID(incident))
            .order_by(audit.AuditEntry.recorded_at.desc())
            .limit(1)
        )
        assert entry is not None and entry.after["attachment"]["id"] == added["id"]

    read = (await incidents.ok(READ, id=incident))["incident"]
    assert read["attachments"] == [
        {"id": added["id"], "filename": "report.txt", "size": len(content)}
    ]
    change = read["history"][-1]
    assert change["kind"] == "ATTACHMENT_ADDED"
    assert change["changes"][0]["field"] == "attachment"


async def test_refusals_change_nothing(
    incidents: Subgraph,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    as_roles: Any,
    small_limit: int,
) -> None:
    incident = await new(incidents)
    before = await written(owner_sessions, tenant_id)

    async def code(context: Any = None, **variables: Any) -> str:
        result = await incidents.run(ADD, context, **variables)
        assert result["data"] is None, result
        return str(result["errors"][0]["extensions"]["code"])

    assert await code(id=incident, file=upload(b"a" * (small_limit + 1))) == "PAYLOAD_TOO_LARGE"
    assert await code(id=incident, file="not a file") == "BAD_USER_INPUT"
    assert await code(id=str(uuid.uuid4()), file=upload(b"a")) == "NOT_FOUND"
    assert await code(id="nope", file=upload(b"a")) == "BAD_USER_INPUT"
    assert await code(as_roles("viewer"), id=incident, file=upload(b"a")) == "FORBIDDEN"
    assert await written(owner_sessions, tenant_id) == before
    # Exactly the limit is allowed.
    await incidents.ok(ADD, id=incident, file=upload(b"a" * small_limit))


async def test_removal_deletes_the_bytes_and_is_recorded(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    incident = await new(incidents)
    added = (await incidents.ok(ADD, id=incident, file=upload(b"hello")))["addIncidentAttachment"]
    removed = (await incidents.ok(DELETE, id=added["id"]))["deleteIncidentAttachment"]
    assert removed == {"id": incident, "attachments": []}
    assert await count_rows(owner_sessions, attachment_tables.AttachmentChunk, tenant_id) == 0
    history = (await incidents.ok(READ, id=incident))["incident"]["history"]
    assert history[-1]["kind"] == "ATTACHMENT_REMOVED"
    again = await incidents.run(DELETE, id=added["id"])
    assert again["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_attachments_cost_the_same_statements_for_any_page(
    incidents: Subgraph, statements: Any
) -> None:
    for _ in range(6):
        incident = await new(incidents)
        await incidents.ok(ADD, id=incident, file=upload(b"one"))
        await incidents.ok(ADD, id=incident, file=upload(PDF))
    page = """query($n: Int!) { incidents(pagination: {first: $n}) { edges { node {
      attachments { id filename contentType size sha256 createdAt url uploadedBy { id } }
      } } } }"""
    counts = []
    for size in (2, 6):
        statements.reset()
        answer = await incidents.ok(page, n=size)
        assert all(len(e["node"]["attachments"]) == 2 for e in answer["incidents"]["edges"])
        counts.append(statements.count)
    assert counts[0] == counts[1]


def test_content_types_are_sniffed_from_the_bytes() -> None:
    assert sniffed_type(b"\x89PNG\r\n\x1a\n" + bytes(30)) == "image/png"
    assert sniffed_type(PDF) == "application/pdf"
    assert sniffed_type("naïve text\n".encode()) == "text/plain"
    assert sniffed_type(b"\x00\x01\x02\xff") == "application/octet-stream"
    assert sniffed_type(b"") == "application/octet-stream"


def test_file_names_keep_their_last_segment_without_control_characters() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\me\\report.pdf") == "report.pdf"
    assert safe_filename("bad\r\nname.txt") == "badname.txt"
    assert safe_filename("..") == "attachment"
    assert safe_filename(None) == "attachment"
    assert len(safe_filename("x" * 400)) == 255


def test_the_download_names_the_file_in_both_forms() -> None:
    assert content_disposition('résumé "v2".pdf') == (
        "attachment; filename=\"r_sum_ _v2_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22.pdf"
    )


async def test_chunks_live_behind_the_tenant_wall(
    incidents: Subgraph, sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    incident = await new(incidents)
    await incidents.ok(ADD, id=incident, file=upload(b"walled"))
    async with sessions() as session:  # the application role, no tenant set
        seen = await session.scalar(
            select(func.count()).select_from(attachment_tables.AttachmentChunk)
        )
    assert seen == 0


async def test_the_demo_has_attachments_whose_bytes_match_their_hash(
    owner_sessions: Sessions, sessions: Sessions, entity_presence: EntityPresence
) -> None:
    slug = f"demo-{uuid.uuid4().hex[:8]}"
    async with owner_sessions() as session, session.begin():
        assert await seed_demo(session, slug=slug, scale=20)
        tenant = await session.scalar(select(tenancy.Tenant.id).where(tenancy.Tenant.slug == slug))
    assert tenant is not None
    principal = REGISTRY.roles.principal(tenant, frozenset({"viewer"}), authenticated=True)
    context = Context.open(sessions, principal=principal, entity_presence=entity_presence)
    try:
        page = await Subgraph(incidents_schema, lambda: context).ok(
            "{ incidents(pagination: {first: 20}) { edges { node { attachments "
            "{ id filename contentType sha256 } history { kind } } } } }",
            context,
        )
    finally:
        await context.close()
    files = [a for e in page["incidents"]["edges"] for a in e["node"]["attachments"]]
    assert sorted((f["filename"], f["contentType"]) for f in files) == [
        ("affected-users.csv", "text/plain"),
        ("screenshot.png", "image/png"),
        ("traceroute.txt", "text/plain"),
    ]
    async with owner_sessions() as session:
        for file in files:
            chunks = await session.scalars(
                select(attachment_tables.AttachmentChunk.data).where(
                    attachment_tables.AttachmentChunk.attachment_id == uuid.UUID(file["id"])
                )
            )
            assert hashlib.sha256(b"".join(chunks)).hexdigest() == file["sha256"]


async def test_the_object_store_follows_the_transaction(
    incidents: Subgraph, owner_sessions: Sessions, small_limit: int
) -> None:
    """The S3 store's bookkeeping, over obstore's in-memory store (same API as its S3
    store; no S3 server in the tests): an upload keeps its object, one refused at the limit
    leaves none, a removal deletes the object once committed."""
    bucket = obstore.store.MemoryStore()
    before = config.current()
    config.configure(dataclasses.replace(before, store=S3Store(bucket)))
    try:
        incident = await new(incidents)
        content = PDF + bytes(small_limit)
        added = (await incidents.ok(ADD, id=incident, file=upload(content[:small_limit])))[
            "addIncidentAttachment"
        ]
        [listed] = await obstore.list(bucket).collect_async()
        assert listed["size"] == small_limit
        stored = await obstore.get_async(bucket, listed["path"])
        assert bytes(await stored.bytes_async()) == content[:small_limit]
        refused = await incidents.run(ADD, id=incident, file=upload(content))
        assert refused["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        await asyncio.sleep(0.05)
        assert len(await obstore.list(bucket).collect_async()) == 1
        await incidents.ok(DELETE, id=added["id"])
        await asyncio.sleep(0.05)  # removed after the commit, by a task of its own
        assert await obstore.list(bucket).collect_async() == []
    finally:
        config.configure(before)


async def test_the_compiled_path_answers_attachments_like_the_normal_executor(
    incidents: Subgraph, new_context: Any
) -> None:
    incident = await new(incidents)
    await incidents.ok(ADD, id=incident, file=upload(PDF, "a.pdf"))
    query = """query($id: ID!) { incident(id: $id) { id attachments {
      id filename contentType size sha256 createdAt uploadedBy { id } } } }"""
    compiled_context, normal_context = new_context(), new_context()
    try:
        compiled = await incidents_schema.compiled.execute(
            query, {"id": incident}, None, compiled_context
        )
        normal = await incidents_schema.execute(
            query, variable_values={"id": incident}, context_value=normal_context
        )
    finally:
        await compiled_context.close()
        await normal_context.close()
    assert compiled is not None  # covered: not routed around
    assert compiled == {"data": normal.data}
    assert compiled["data"]["incident"]["attachments"][0]["filename"] == "a.pdf"


async def test_the_purge_of_a_deleted_incident_removes_its_attachments(
    incidents: Subgraph, sessions: Sessions, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    incident = await new(incidents)
    added = (await incidents.ok(ADD, id=incident, file=upload(PDF)))["addIncidentAttachment"]
    await incidents.ok(
        'mutation($id: ID!) { deleteIncident(id: $id, reason: "test data") { id } }', id=incident
    )
    async with owner_sessions() as session:
        job = (
            await session.execute(
                text(
                    "SELECT id, scheduled_at, args->'payload' AS payload FROM "
                    "jobs.procrastinate_jobs WHERE queue_name = :q "
                    "AND args->'payload'->>'incident_id' = :id"
                ),
                {"q": deletion.PURGE, "id": incident},
            )
        ).one()
    as_job = Job(job.id, deletion.PURGE, tenant_id, job.payload, 1, datetime.now(UTC))
    async with sessions() as session, session.begin():
        await session.execute(SET_TENANT, {"tenant": str(tenant_id)})
        assert await deletion.purge_when_due(session, as_job, now=job.scheduled_at) is None
    assert await count_rows(owner_sessions, attachment_tables.Attachment, tenant_id) == 0
    assert await count_rows(owner_sessions, attachment_tables.AttachmentChunk, tenant_id) == 0
    assert added["id"]


async def test_one_file_attached_twice_in_a_request_is_stored_whole_twice(
    incidents: Subgraph,
) -> None:
    incident = await new(incidents)
    both = await incidents.ok(
        """mutation($id: ID!, $file: Upload!) {
          a: addIncidentAttachment(incidentId: $id, file: $file) { size sha256 }
          b: addIncidentAttachment(incidentId: $id, file: $file) { size sha256 } }""",
        id=incident,
        file=upload(PDF),
    )
    assert both["a"] == both["b"] == {"size": len(PDF), "sha256": hashlib.sha256(PDF).hexdigest()}
