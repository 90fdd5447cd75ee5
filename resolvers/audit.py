"""The audit trail: every mutation that changes something writes exactly one record, inside
its own unit of work.

A mutation opens its transaction with `audited(info)` instead of `db.unit_of_work()`. It gets
the session and an `AuditRecord` to fill in (the entity it changed and the changed fields);
when its body returns, one INSERT writes the record with what the request knows (actor,
tenant, operation name, request id, client application), and the transaction commits. A
mutation that raises writes nothing: the record and the change roll back together.

A mutation that may change nothing at all (a feed replayed) says so with
`nothing_changed()`, and writes no record.

`before`/`after` hold only the changed fields, by their GraphQL names, as JSON values."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import strawberry
from sqlalchemy import Insert, Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import audit as tables

TEXT_LIMIT = 200  # request and client ids come from the caller: keep what fits the column


@dataclass
class AuditRecord:
    """What the mutation tells the trail about its change."""

    entity_type: str | None = None
    entity_id: uuid.UUID | None = None
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    skipped: bool = field(default=False, init=False)

    def entity(self, entity_type: str, entity_id: uuid.UUID) -> None:
        self.entity_type, self.entity_id = entity_type, entity_id

    def changed(self, changes: Mapping[str, Sequence[Any]]) -> None:
        """Add `{field: [before, after]}` pairs (the shape of incident history)."""
        for name, (old, new) in changes.items():
            self.before[name] = old
            self.after[name] = new

    def created(self, values: Mapping[str, Any]) -> None:
        """A new entity: every given field goes from nothing to its value."""
        self.changed({name: (None, value) for name, value in values.items()})

    def deleted(self, values: Mapping[str, Any]) -> None:
        """A removed entity: every given field goes from its value to nothing."""
        self.changed({name: (value, None) for name, value in values.items()})

    def nothing_changed(self) -> None:
        """The mutation changed nothing and leaves no record (a discovery feed run again:
        nothing at all is written)."""
        self.skipped = True


@asynccontextmanager
async def audited(
    info: strawberry.Info, *, read_after: bool = False
) -> AsyncIterator[tuple[AsyncSession, AuditRecord]]:
    """The mutation's unit of work, plus its audit record written just before the commit.
    ``read_after``: see ``RequestDatabase.unit_of_work``."""
    context = info.context
    async with context.db.unit_of_work(read_after=read_after) as session:
        record = AuditRecord()
        yield session, record
        if record.skipped:
            return
        if record.entity_type is None or record.entity_id is None:
            raise RuntimeError(f"mutation {info.field_name} named no audited entity")
        await insert_entry(
            session,
            record,
            tenant_id=context.tenant_id,
            actor_id=context.actor_id,
            operation=info.field_name,
            request_id=context.request_id,
            client_id=context.principal.client_id,
        )


async def insert_entry(
    session: AsyncSession,
    record: AuditRecord,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    operation: str,
    request_id: str,
    client_id: str | None = None,
) -> None:
    """Write one audit entry: a mutation's (through `audited`), or a change made outside a
    request (an event consumer's, named by its consumer and the event it handled)."""
    assert record.entity_type is not None and record.entity_id is not None
    await session.execute(
        INSERT_ENTRY,
        {
            "tenant_id": tenant_id,
            "actor_id": actor_id,
            "operation": operation,
            "entity_type": record.entity_type,
            "entity_id": record.entity_id,
            "before": record.before,
            "after": record.after,
            "request_id": request_id[:TEXT_LIMIT],
            "client_id": (client_id or "")[:TEXT_LIMIT] or None,
        },
    )


def _insert_entry() -> Insert:
    """Built once, of the table rather than the mapped class: an INSERT of the class built
    per entry cost a cache key of its values and the ORM's bulk-insert machinery, every
    mutation."""
    entries = tables.AuditEntry.__table__
    assert isinstance(entries, Table)
    return insert(entries)


INSERT_ENTRY = _insert_entry()
