"""Defining a tenant's custom fields, inside the caller's unit of work. No Strawberry here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.outbox import record_event
from resolvers.changes import text
from resolvers.errors import BadUserInput, Conflict
from subgraphs.incidents.custom_fields import tables
from subgraphs.incidents.custom_fields.definitions import (
    FIELDS_MAX,
    NAME,
    NAME_MAX,
    IncidentFieldType,
    enum_values,
)

DOMAIN = "incidents"
FIELD_CREATED = "incident.field_created"
"""A tenant defined a custom field (entity `IncidentField`)."""


@dataclass(frozen=True)
class NewField:
    name: str
    type: IncidentFieldType
    required: bool = False
    enum_values: Sequence[str] | None = None


def checked(new: NewField) -> tuple[str, list[str] | None]:
    """The field's name and enum values, or BAD_USER_INPUT naming what is wrong."""
    name = text(new.name, "input.name", NAME_MAX, required=True) or ""
    if not NAME.fullmatch(name):
        raise BadUserInput(
            "input.name: a field name starts with a lower-case letter and has letters, digits "
            "and _ only",
            field="input.name",
        )
    if new.type is IncidentFieldType.ENUM:
        return name, enum_values(new.enum_values, "input.enumValues")
    if new.enum_values is not None:
        raise BadUserInput(
            "input.enumValues: only an ENUM field has enumValues", field="input.enumValues"
        )
    return name, None


async def create_field(session: AsyncSession, tenant_id: uuid.UUID, new: NewField) -> Any:
    """A custom field of the tenant's incidents. CONFLICT for a name it has, or when it has
    FIELDS_MAX fields; BAD_USER_INPUT for a bad name or enum values (`checked`)."""
    name, values = checked(new)
    t = tables.IncidentField
    # Serialise definitions per tenant, so the count and the name check hold at commit.
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"incident_fields:{tenant_id}", 0)))
    )
    existing = (
        (await session.execute(select(t.name).where(t.tenant_id == tenant_id))).scalars().all()
    )
    if name in existing:
        raise Conflict(f"An incident field named {name!r} exists", field="input.name")
    if len(existing) >= FIELDS_MAX:
        raise Conflict(f"A tenant has at most {FIELDS_MAX} incident fields", field="input.name")
    row = t(
        tenant_id=tenant_id,
        name=name,
        type=new.type.value,
        required=new.required,
        enum_values=values,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    record_event(
        session,
        tenant_id=tenant_id,
        domain=DOMAIN,
        kind=FIELD_CREATED,
        entity_type="IncidentField",
        entity_id=row.id,
        payload={"id": str(row.id), "changes": created_changes(row)},
    )
    return row


def created_changes(row: Any) -> dict[str, list[Any]]:
    """The new field as `{name: [None, value]}` (its event and audit record)."""
    return {
        "name": [None, row.name],
        "type": [None, row.type],
        "required": [None, row.required],
        "enumValues": [None, list(row.enum_values) if row.enum_values is not None else None],
    }
