"""Configuration item writes: validation (attribute values against the class's JSON Schema),
the change recorded in the CI's history and in the outbox — all inside the caller's unit of
work, so either everything commits or nothing does. No Strawberry here.

Writes return the row with its changed fields (`{field: [old, new]}`, empty when nothing
changed; an attribute's field is `attributes.<name>`), which the mutation hands to the audit
trail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import BadUserInput, Conflict, NotFound
from subgraphs.cmdb import rules, tables
from subgraphs.cmdb.classes import Catalogue, class_named, load_catalogue
from subgraphs.cmdb.enums import CiChangeKind, CiEnvironment, CiStatus
from subgraphs.cmdb.events import EVENT_KIND, record_ci_event
from subgraphs.cmdb.validation import AttributeSchema

Changes = dict[str, list[Any]]
CI = tables.ConfigurationItem


@dataclass(frozen=True)
class NewCi:
    class_name: str
    name: str
    status: CiStatus = CiStatus.IN_SERVICE
    environment: CiEnvironment = CiEnvironment.PRODUCTION
    criticality: int = 3
    owner_id: uuid.UUID | None = None
    support_team_id: uuid.UUID | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    external_id: str | None = None
    redundancy_required: int | None = None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if isinstance(value, uuid.UUID) else value


def text(value: str | None, name: str, limit: int, *, required: bool = False) -> str | None:
    """`value` stripped; BAD_USER_INPUT naming `name` when empty (if required) or too long."""
    if value is None:
        if required:
            raise BadUserInput(f"{name} is required", field=name)
        return None
    stripped = value.strip()
    if required and not stripped:
        raise BadUserInput(f"{name} must not be empty", field=name)
    if len(stripped) > limit:
        raise BadUserInput(f"{name} must be at most {limit} characters", field=name)
    return stripped


def criticality(value: int, name: str = "criticality") -> int:
    if not rules.CRITICALITY_MIN <= value <= rules.CRITICALITY_MAX:
        raise BadUserInput(
            f"{name} must be between {rules.CRITICALITY_MIN} and {rules.CRITICALITY_MAX}",
            field=name,
        )
    return value


def redundancy(value: int | None, name: str = "redundancyRequired") -> int | None:
    if value is not None and not 1 <= value <= rules.REDUNDANCY_MAX:
        raise BadUserInput(f"{name} must be between 1 and {rules.REDUNDANCY_MAX}", field=name)
    return value


def feed_identity(source: str | None, external_id: str | None) -> tuple[str | None, str | None]:
    """(source, externalId) checked: an external id means something only within its source."""
    source = text(source, "source", rules.SOURCE_MAX) or None
    external_id = text(external_id, "externalId", rules.EXTERNAL_ID_MAX) or None
    if external_id is not None and source is None:
        raise BadUserInput("externalId needs a source", field="source")
    return source, external_id


async def check_attributes(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    catalogue: Catalogue,
    schema: AttributeSchema,
    values: dict[str, Any],
) -> None:
    """BAD_USER_INPUT naming the first wrong attribute; a REFERENCE to no CI of the tenant is
    NOT_FOUND, to a CI of another class BAD_USER_INPUT (one statement for all references)."""
    schema.check(values)
    wanted = {
        name: (uuid.UUID(values[name]), class_id)
        for name, class_id in schema.references.items()
        if values.get(name) is not None
    }
    if not wanted:
        return
    ids = {ci_id for ci_id, _ in wanted.values()}
    found = dict(
        (
            await session.execute(
                select(CI.id, CI.class_id).where(CI.tenant_id == tenant_id, CI.id.in_(ids))
            )
        ).tuples()
    )
    for name, (ci_id, class_id) in sorted(wanted.items()):
        if ci_id not in found:
            raise NotFound(
                f"attributes.{name}: no configuration item with id {ci_id}",
                field=f"attributes.{name}",
                attribute=name,
            )
        if class_id is not None and not catalogue.is_a(found[ci_id], class_id):
            expected = catalogue.classes[class_id].name
            raise BadUserInput(
                f"attributes.{name} must refer to a {expected}",
                field=f"attributes.{name}",
                attribute=name,
            )


def record_change(
    session: AsyncSession, row: Any, kind: CiChangeKind, changes: Changes, actor: uuid.UUID | None
) -> None:
    """The CI's history entry and its outbox event."""
    session.add(
        tables.CiChange(
            tenant_id=row.tenant_id, ci_id=row.id, actor_id=actor, kind=kind.value, changes=changes
        )
    )
    record_ci_event(session, row, EVENT_KIND[kind], changes)


async def create_configuration_item(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    new: NewCi,
    actor: uuid.UUID | None,
    catalogue: Catalogue | None = None,
) -> tuple[Any, Changes]:
    """Validate and insert a CI (BAD_USER_INPUT, NOT_FOUND for a reference attribute, CONFLICT
    for a taken name or external id); `catalogue` saves reading it again for a batch."""
    catalogue = catalogue or await load_catalogue(session, tenant_id)
    ci_class = class_named(catalogue, new.class_name, "className")
    name = text(new.name, "name", rules.NAME_MAX, required=True)
    if new.status in rules.FINAL:
        raise BadUserInput(
            f"A configuration item cannot be created {new.status.value}", field="status"
        )
    source, external_id = feed_identity(new.source, new.external_id)
    schema = catalogue.schema(ci_class.id)
    attributes = schema.with_defaults(new.attributes)
    await check_attributes(session, tenant_id, catalogue, schema, attributes)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "class_id": ci_class.id,
        "name": name,
        "status": new.status.value,
        "environment": new.environment.value,
        "criticality": criticality(new.criticality),
        "owner_id": new.owner_id,
        "support_team_id": new.support_team_id,
        "attributes": attributes,
        "source": source,
        "external_id": external_id,
        "redundancy_required": redundancy(new.redundancy_required),
    }
    row = await session.scalar(insert(CI).values(values).on_conflict_do_nothing().returning(CI))
    if row is None:
        raise await _taken(session, tenant_id, ci_class.id, name, source, external_id)
    changes: Changes = {"className": [None, ci_class.name]}
    changes.update(
        (key, [None, _plain(value)])
        for key, value in (
            ("name", name),
            ("status", new.status.value),
            ("environment", new.environment.value),
            ("criticality", new.criticality),
            ("ownerId", new.owner_id),
            ("supportTeamId", new.support_team_id),
            ("source", source),
            ("externalId", external_id),
            ("redundancyRequired", new.redundancy_required),
        )
        if value is not None
    )
    changes.update(
        (f"attributes.{key}", [None, value]) for key, value in sorted(attributes.items())
    )
    record_change(session, row, CiChangeKind.CREATED, changes, actor)
    return row, changes


async def _taken(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    class_id: uuid.UUID,
    name: str | None,
    source: str | None,
    external_id: str | None,
) -> Conflict:
    """The CONFLICT a refused insert met: the name in its class, or the external id."""
    same_name = await session.scalar(
        select(CI.id).where(CI.tenant_id == tenant_id, CI.class_id == class_id, CI.name == name)
    )
    if same_name is not None:
        return Conflict(
            f"A configuration item named {name!r} of this class exists",
            field="name",
            existingId=str(same_name),
        )
    return Conflict(
        f"A configuration item with source {source!r} and externalId {external_id!r} exists",
        field="externalId",
    )
