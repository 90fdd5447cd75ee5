"""upsertConfigurationItems: a discovery feed's CIs and relationships, made true
(subgraphs/cmdb/discovery.py), with a result per item."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from strawberry.scalars import JSON

from resolvers.audit import audited
from resolvers.errors import OpsGraphError
from resolvers.permissions import requires
from subgraphs.cmdb import discovery, permissions
from subgraphs.cmdb.loaders import ChangesByCiIdLoader, CiByIdLoader
from subgraphs.cmdb.mutations.common import json_object
from subgraphs.cmdb.types import ConfigurationItem

# The audit trail records a feed's runs under one id per tenant and source.
DISCOVERY_FEED = "DiscoveryFeed"
"""The audit log's entity type of a feed's run (no stored row: its id derives from the name)."""
FEED_NAMESPACE = uuid.UUID("0b5c1e6a-3f6e-4d52-9a43-5d2f3c6f1e10")


@strawberry.input(description="A relationship the item has, to another CI of the same source.")
class DiscoveredRelationshipInput:
    type: str = strawberry.field(description="The relationship type, e.g. RUNS_ON.")
    external_id: str = strawberry.field(
        description="The other CI (the child), by its external id in the source."
    )


@strawberry.input(description="One CI as the discovery source sees it.")
class DiscoveredConfigurationItemInput:
    external_id: str = strawberry.field(description="Its id in the source.")
    class_name: str = strawberry.field(description="Its class, e.g. VirtualMachine.")
    name: str = strawberry.field(description="Its name (unique within its class).")
    attributes: JSON | None = strawberry.field(
        default=None,
        description="Attribute values the source knows; attributes left out stay as they are.",
    )
    relationships: list[DiscoveredRelationshipInput] = strawberry.field(
        default_factory=list,
        description="Its relationships as the source sees them (the item is the parent).",
    )


@strawberry.input(description="A discovery feed's items.")
class UpsertConfigurationItemsInput:
    source: str = strawberry.field(description="The feed, e.g. vcenter-eu (1-64 characters).")
    items: list[DiscoveredConfigurationItemInput] = strawberry.field(
        description=f"At most {discovery.ITEMS_MAX} items."
    )
    retire_missing: bool = strawberry.field(
        default=False,
        description="Retire the source's CIs that these items do not list (a complete feed).",
    )


UpsertOutcome = strawberry.enum(
    discovery.Outcome, name="UpsertOutcome", description="What became of a feed item."
)


@strawberry.type(description="Why a feed item, or one of its relationships, was refused.")
class UpsertError:
    code: str = strawberry.field(description="The error code, as in `extensions.code`.")
    message: str = strawberry.field(description="What is wrong.")
    field: str | None = strawberry.field(description="The input it concerns, e.g. items[3].name.")

    @classmethod
    def of(cls, error: OpsGraphError) -> UpsertError:
        extensions = error.extensions or {}
        return cls(code=extensions["code"], message=error.message, field=extensions.get("field"))


@strawberry.type(description="What became of one feed item.")
class UpsertItemResult:
    external_id: str = strawberry.field(description="The item's external id.")
    outcome: UpsertOutcome = strawberry.field(  # type: ignore[valid-type]
        description="CREATED, UPDATED, UNCHANGED, or FAILED (see `error`)."
    )
    configuration_item: ConfigurationItem | None = strawberry.field(
        description="The CI as the feed left it (null when the item failed)."
    )
    error: UpsertError | None = strawberry.field(
        description="Why the item failed; or, for a CI written, why its relationships were not."
    )


@strawberry.type(description="A feed call's results and totals.")
class UpsertConfigurationItemsPayload:
    items: list[UpsertItemResult] = strawberry.field(description="One per item, in order.")
    created: int = strawberry.field(description="CIs created.")
    updated: int = strawberry.field(description="CIs changed.")
    unchanged: int = strawberry.field(description="CIs already as listed.")
    failed: int = strawberry.field(description="Items refused (nothing of them written).")
    retired: int = strawberry.field(description="The source's CIs retired as no longer listed.")
    relationships_added: int = strawberry.field(description="Relationships added.")
    relationships_removed: int = strawberry.field(
        description="The source's relationships removed as no longer listed."
    )


def _item(index: int, item: DiscoveredConfigurationItemInput) -> discovery.FeedItem:
    return discovery.FeedItem(
        external_id=item.external_id,
        class_name=item.class_name,
        name=item.name,
        attributes=json_object(item.attributes or {}, f"input.items[{index}].attributes"),
        relationships=tuple(
            discovery.FeedRelationship(r.type, r.external_id) for r in item.relationships
        ),
    )


def _payload(info: strawberry.Info, result: discovery.FeedResult) -> Any:
    loaders = info.context.loaders
    items = []
    for item in result.items:
        ci = None
        if item.row is not None:
            loaders.get(CiByIdLoader).clear(item.row.id).prime(item.row.id, item.row)
            loaders.get(ChangesByCiIdLoader).clear(item.row.id)
            ci = ConfigurationItem.from_row(item.row)
        error = UpsertError.of(item.error) if item.error is not None else None
        items.append(
            UpsertItemResult(
                external_id=item.external_id,
                outcome=item.outcome,
                configuration_item=ci,
                error=error,
            )
        )
    Outcome = discovery.Outcome
    return UpsertConfigurationItemsPayload(
        items=items,
        created=result.count(Outcome.CREATED),
        updated=result.count(Outcome.UPDATED),
        unchanged=result.count(Outcome.UNCHANGED),
        failed=result.count(Outcome.FAILED),
        retired=result.retired,
        relationships_added=result.relationships_added,
        relationships_removed=result.relationships_removed,
    )


@strawberry.mutation(
    description=f"A discovery feed: up to {discovery.ITEMS_MAX} CIs of one source, each found "
    "by (source, externalId), else by (className, name), and created, updated or left alone; "
    "the source's relationships of each reconciled; with retireMissing, the source's CIs not "
    "listed retired. An item that fails is reported (`error`) and not written; the others "
    "are. The same feed again writes nothing. BAD_USER_INPUT for the call when the source is "
    "empty or there are too many items.",
    extensions=requires(permissions.EDIT),
)
async def upsert_configuration_items(
    info: strawberry.Info, input: UpsertConfigurationItemsInput
) -> UpsertConfigurationItemsPayload:
    ctx = info.context
    items = [_item(index, item) for index, item in enumerate(input.items)]
    source = discovery.feed_source(input.source)
    async with audited(info) as (session, audit):
        result = await discovery.upsert(
            session,
            ctx.tenant_id,
            source,
            items,
            ctx.actor_id,
            retire_missing=input.retire_missing,
        )
        if result.changed:
            audit.entity(DISCOVERY_FEED, uuid.uuid5(FEED_NAMESPACE, f"{ctx.tenant_id}:{source}"))
            audit.changed(
                {
                    "source": [None, source],
                    "created": [None, result.count(discovery.Outcome.CREATED)],
                    "updated": [None, result.count(discovery.Outcome.UPDATED)],
                    "retired": [None, result.retired],
                    "relationshipsAdded": [None, result.relationships_added],
                    "relationshipsRemoved": [None, result.relationships_removed],
                }
            )
        else:
            audit.nothing_changed()
    return _payload(info, result)


@strawberry.type
class DiscoveryMutation:
    upsert_configuration_items = upsert_configuration_items
