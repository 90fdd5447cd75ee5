"""The discovery feed: a source's view of its CIs and their relationships, made true.

Each item is identified by (source, externalId), else by (class, name) — a CI made by hand is
then adopted by the feed — and created, updated (name, attributes: the feed's values set,
others kept) or left alone. An item that fails (its class, its attributes, a taken name...)
is reported with its error and nothing of it is written (its checks come before its writes,
or a savepoint undoes them); the others are.
Then the source's relationships of each item are reconciled: those the feed lists and that
do not exist yet are added (with the feed as their `source`), the feed's own that it no
longer lists are removed; relationships asserted by hand or by another source are left
alone. With `retire_missing`, the source's CIs the feed no longer lists are retired.

Nothing is written, and no history or event recorded, for what already is as the feed says:
a feed run twice writes nothing the second time. No Strawberry here."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.errors import BadUserInput, Conflict, NotFound, OpsGraphError
from subgraphs.cmdb import rules, service, tables
from subgraphs.cmdb.classes import Catalogue, class_named, load_catalogue
from subgraphs.cmdb.enums import CiStatus
from subgraphs.cmdb.relationships import NewRelationship, add_relationship, remove_relationship

CI = tables.ConfigurationItem
REL = tables.CiRelationship
TYPE = tables.RelationshipType

ITEMS_MAX = 1000
"""Items one call may carry (the CLI streams larger files in chunks of this size)."""


class Outcome(enum.Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class FeedRelationship:
    """The item (parent) is related by `type_name` to the source's CI `external_id` (child)."""

    type_name: str
    external_id: str


@dataclass(frozen=True)
class FeedItem:
    external_id: str
    class_name: str
    name: str
    attributes: dict[str, Any] = field(default_factory=dict)
    relationships: tuple[FeedRelationship, ...] = ()


@dataclass
class ItemResult:
    external_id: str
    outcome: Outcome
    row: Any = None  # the CI as the feed left it (None when it failed)
    error: OpsGraphError | None = None  # why the item, or one of its relationships, failed


@dataclass
class FeedResult:
    items: list[ItemResult]
    retired: int = 0
    relationships_added: int = 0
    relationships_removed: int = 0

    def count(self, outcome: Outcome) -> int:
        return sum(1 for item in self.items if item.outcome is outcome)

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(
            self.retired
            or self.relationships_added
            or self.relationships_removed
            or any(i.outcome in (Outcome.CREATED, Outcome.UPDATED) for i in self.items)
        )


def feed_source(source: str) -> str:
    """The source checked (BAD_USER_INPUT when empty or too long)."""
    checked = service.text(source, "source", rules.SOURCE_MAX, required=True)
    assert checked is not None
    return checked


async def upsert(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    source: str,
    items: Sequence[FeedItem],
    actor: uuid.UUID | None,
    *,
    retire_missing: bool = False,
) -> FeedResult:
    """Make the source's CIs and relationships what `items` say (see the module's docstring);
    BAD_USER_INPUT for the whole call when the source or the number of items is wrong."""
    source = feed_source(source)
    if len(items) > ITEMS_MAX:
        raise BadUserInput(f"A feed call carries at most {ITEMS_MAX} items", field="items")
    catalogue = await load_catalogue(session, tenant_id)
    known = await _existing(session, tenant_id, source, catalogue, items)
    results = [
        await _upsert_item(session, tenant_id, source, catalogue, known, index, item, actor)
        for index, item in enumerate(items)
    ]
    result = FeedResult(results)
    await _reconcile_relationships(session, tenant_id, source, catalogue, items, result)
    if retire_missing:
        listed = {item.external_id for item in items}
        result.retired = await retire_missing_cis(session, tenant_id, source, listed, actor)
    return result


@dataclass
class _Known:
    """The CIs the feed's items may name, read once: by external id of the source (items and
    relationship targets) and by (class id, name)."""

    by_external_id: dict[str, Any]
    by_class_and_name: dict[tuple[uuid.UUID, str], Any]


async def _existing(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    source: str,
    catalogue: Catalogue,
    items: Sequence[FeedItem],
) -> _Known:
    external_ids = {item.external_id for item in items}
    external_ids.update(r.external_id for item in items for r in item.relationships)
    by_external_id: dict[str, Any] = {
        str(row.external_id): row
        for row in await session.scalars(
            select(CI).where(
                CI.tenant_id == tenant_id,
                CI.source == source,
                CI.external_id.in_(sorted(external_ids)),
            )
        )
    }
    named = {
        (catalogue.by_name[item.class_name].id, item.name.strip())
        for item in items
        if item.external_id not in by_external_id and item.class_name in catalogue.by_name
    }
    by_class_and_name: dict[tuple[uuid.UUID, str], Any] = {}
    if named:
        rows = await session.scalars(
            select(CI).where(CI.tenant_id == tenant_id, tuple_(CI.class_id, CI.name).in_(named))
        )
        by_class_and_name = {(row.class_id, row.name): row for row in rows}
    return _Known(by_external_id, by_class_and_name)


async def _upsert_item(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    source: str,
    catalogue: Catalogue,
    known: _Known,
    index: int,
    item: FeedItem,
    actor: uuid.UUID | None,
) -> ItemResult:
    try:
        ci_class = class_named(catalogue, item.class_name, f"items[{index}].className")
        external_id = service.text(
            item.external_id, "externalId", rules.EXTERNAL_ID_MAX, required=True
        )
        row = known.by_external_id.get(item.external_id)
        if row is None:
            row = known.by_class_and_name.get((ci_class.id, item.name.strip()))
            if row is not None and row.external_id is not None:
                raise Conflict(
                    f"A {ci_class.name} named {row.name!r} belongs to source {row.source!r} "
                    f"as {row.external_id!r}",
                    field="name",
                    existingId=str(row.id),
                )
        if row is not None and row.class_id != ci_class.id:
            raise BadUserInput(
                f"{item.external_id!r} is a {catalogue.classes[row.class_id].name}; "
                "a CI's class cannot change",
                field="className",
            )
        outcome, written = await _write(
            session, tenant_id, source, catalogue, row, item, external_id, actor
        )
    except OpsGraphError as error:
        return ItemResult(item.external_id, Outcome.FAILED, error=_located(error, index))
    known.by_external_id[item.external_id] = written
    return ItemResult(item.external_id, outcome, written)


async def _write(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    source: str,
    catalogue: Catalogue,
    row: Any,
    item: FeedItem,
    external_id: str | None,
    actor: uuid.UUID | None,
) -> tuple[Outcome, Any]:
    """Create or update the item's CI; UNCHANGED costs nothing. A create that fails has
    written nothing (its checks come first, its insert does nothing on a conflict); an update
    changes the row as it goes, so it runs in a savepoint of its own."""
    if row is not None and _as_listed(row, item, source):
        return Outcome.UNCHANGED, row
    if row is None:
        new = service.NewCi(
            class_name=item.class_name,
            name=item.name,
            attributes=item.attributes,
            source=source,
            external_id=external_id,
        )
        created, _ = await service.create_configuration_item(
            session, tenant_id, new, actor, catalogue
        )
        return Outcome.CREATED, created
    update = service.CiUpdate(
        name=item.name,
        attributes=item.attributes,
        feed=service.UNCHANGED if row.source == source else (source, external_id),
    )
    async with session.begin_nested():
        updated, changes = await service.update_configuration_item(
            session, tenant_id, row.id, update, actor, catalogue
        )
    return (Outcome.UPDATED if changes else Outcome.UNCHANGED), updated


def _as_listed(row: Any, item: FeedItem, source: str) -> bool:
    """Whether the CI already is what the item says: the feed's own, same name, and every
    attribute the item gives has that value (what it does not give stays as it is)."""
    attributes = row.attributes or {}
    return (
        row.source == source
        and row.external_id == item.external_id
        and row.name == item.name.strip()
        and all(attributes.get(name) == value for name, value in item.attributes.items())
        and CiStatus(row.status) not in rules.FINAL
    )


def _located(error: OpsGraphError, index: int) -> OpsGraphError:
    """`error` with the item it concerns: its `field` prefixed with items[index]."""
    extensions = dict(error.extensions or {})
    name = extensions.get("field")
    if name and not str(name).startswith("items["):
        extensions["field"] = f"items[{index}].{name}"
    error.extensions = extensions
    return error


async def _reconcile_relationships(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    source: str,
    catalogue: Catalogue,
    items: Sequence[FeedItem],
    result: FeedResult,
) -> None:
    """Per written item, its relationships made what the feed lists (a refused relationship
    fails that item's relationships, not its CI)."""
    written = {
        r.row.id: (index, r)
        for index, r in enumerate(result.items)
        if r.row is not None and r.outcome is not Outcome.FAILED
    }
    if not written:
        return
    types = {
        row.name: row.id
        for row in await session.execute(
            select(TYPE.name, TYPE.id).where(TYPE.tenant_id == tenant_id)
        )
    }
    edges = await _edges_from(session, tenant_id, list(written))
    targets = {r.external_id: r.row.id for r in result.items if r.row is not None}
    missing = {
        rel.external_id
        for index, _ in written.values()
        for rel in items[index].relationships
        if rel.external_id not in targets
    }
    if missing:
        targets.update(
            (row.external_id, row.id)
            for row in await session.execute(
                select(CI.external_id, CI.id).where(
                    CI.tenant_id == tenant_id,
                    CI.source == source,
                    CI.external_id.in_(sorted(missing)),
                )
            )
        )
    for parent_id, (index, item_result) in written.items():
        try:
            wanted = _wanted(items[index], index, types, targets)
            added, removed = await _make_edges(
                session, tenant_id, source, catalogue, parent_id, wanted, edges
            )
        except OpsGraphError as error:
            item_result.error = _located(error, index)
            continue
        result.relationships_added += added
        result.relationships_removed += removed


def _wanted(
    item: FeedItem, index: int, types: dict[str, uuid.UUID], targets: dict[str, uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], str]:
    """The item's relationships as (child id, type id) → type name; BAD_USER_INPUT for an
    unknown type, NOT_FOUND for a target the source does not have."""
    wanted: dict[tuple[uuid.UUID, uuid.UUID], str] = {}
    for position, rel in enumerate(item.relationships):
        where = f"relationships[{position}]"
        if rel.type_name not in types:
            raise BadUserInput(f"No relationship type named {rel.type_name!r}", field=where)
        if rel.external_id not in targets:
            raise NotFound(f"The source has no configuration item {rel.external_id!r}", field=where)
        wanted[targets[rel.external_id], types[rel.type_name]] = rel.type_name
    return wanted


@dataclass(frozen=True)
class _Edge:
    id: uuid.UUID
    source: str | None


async def _edges_from(
    session: AsyncSession, tenant_id: uuid.UUID, parents: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[tuple[uuid.UUID, uuid.UUID], _Edge]]:
    """The relationships of `parents` (as parent), whoever asserted them, by (child, type)."""
    found: dict[uuid.UUID, dict[tuple[uuid.UUID, uuid.UUID], _Edge]] = {}
    rows = await session.execute(
        select(REL.id, REL.parent_id, REL.child_id, REL.type_id, REL.source).where(
            REL.tenant_id == tenant_id, REL.parent_id.in_(list(parents))
        )
    )
    for row in rows:
        found.setdefault(row.parent_id, {})[row.child_id, row.type_id] = _Edge(row.id, row.source)
    return found


async def _make_edges(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    source: str,
    catalogue: Catalogue,
    parent_id: uuid.UUID,
    wanted: dict[tuple[uuid.UUID, uuid.UUID], str],
    edges: dict[uuid.UUID, dict[tuple[uuid.UUID, uuid.UUID], _Edge]],
) -> tuple[int, int]:
    """Remove the source's own that `wanted` no longer lists, add what it lacks: (added,
    removed). A refused addition writes nothing (its checks come first); with more than one
    change to make, they share a savepoint, so a refusal undoes the item's others too."""
    current = edges.get(parent_id, {})
    additions = [(key, name) for key, name in wanted.items() if key not in current]
    removals = [
        edge for key, edge in current.items() if edge.source == source and key not in wanted
    ]
    if len(additions) + len(removals) > 1:
        async with session.begin_nested():
            await _apply(session, tenant_id, source, catalogue, parent_id, additions, removals)
    else:
        await _apply(session, tenant_id, source, catalogue, parent_id, additions, removals)
    return len(additions), len(removals)


async def _apply(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    source: str,
    catalogue: Catalogue,
    parent_id: uuid.UUID,
    additions: list[tuple[tuple[uuid.UUID, uuid.UUID], str]],
    removals: list[_Edge],
) -> None:
    for edge in removals:
        await remove_relationship(session, tenant_id, edge.id)
    # Already asserted ones (by this source, another, or by hand) are not in `additions`.
    for (child_id, _), type_name in additions:
        new = NewRelationship(parent_id, child_id, type_name, source)
        await add_relationship(session, tenant_id, new, catalogue)


async def retire_missing_cis(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    source: str,
    listed: set[str],
    actor: uuid.UUID | None,
) -> int:
    """Retire the source's CIs (not retired yet) whose external id is not in `listed`; how
    many."""
    rows = await session.execute(
        select(CI.id, CI.external_id).where(
            CI.tenant_id == tenant_id,
            CI.source == source,
            CI.status.not_in([status.value for status in rules.FINAL]),
        )
    )
    gone = [row.id for row in rows if row.external_id not in listed]
    for ci_id in gone:
        await service.retire_configuration_item(session, tenant_id, ci_id, actor)
    return len(gone)
