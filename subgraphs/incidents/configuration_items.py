"""The CMDB's `ConfigurationItem` as the incidents subgraph sees it: its key, and the incident
fields this subgraph adds to it from its own tables (an entity field, DESIGN.md "Domains that
need each other"). Declared as an extension (`extend type`): the cmdb subgraph defines the
type and says which ids exist (router/references.py asks it, never this subgraph, which
answers for any id)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import strawberry
from sqlalchemy import func

from resolvers.batching import batched
from resolvers.columns import chosen_columns
from resolvers.ids import try_parse_id, try_parse_ids
from resolvers.pagination import (
    Connection,
    PageRequest,
    Pagination,
    build_connection,
    page_per_key,
)
from resolvers.permissions import requires
from resolvers.references import by_id, by_ids
from subgraphs.incidents import permissions, tables
from subgraphs.incidents.inputs import IncidentFilter, IncidentOrder
from subgraphs.incidents.loaders import (
    LINKED_CI,
    IncidentCountsByCiIdLoader,
    IncidentPagesByCiIdLoader,
    OpenIncidentsByCiIdLoader,
    incidents_of_cis,
)
from subgraphs.incidents.queries import filtered, sort_order
from subgraphs.incidents.types import Incident

Row = tables.Incident


async def open_incidents_of(
    items: Sequence[ConfigurationItem], info: strawberry.Info
) -> list[list[Incident]]:
    """`ConfigurationItem.openIncidents` of many items at once (resolvers/batching.py): a
    blast radius asks it of thousands."""
    keys = try_parse_ids([item.id for item in items])
    loader = info.context.loaders.get(OpenIncidentsByCiIdLoader)
    known = [key for key in keys if key is not None]
    groups = iter(await loader.read_many(known, Incident.row_fields.columns(info)))
    read = Incident.row_fields.read
    # read_many answers positionally: the next rows are the next valid key's.
    return [list(map(read, next(groups))) if key else [] for key in keys]


@strawberry.federation.type(keys=["id"], extend=True)
class ConfigurationItem:
    """A configuration item of the CMDB (which describes it), with the incidents naming it."""

    id: strawberry.ID

    @classmethod
    def ref(cls, id: uuid.UUID | None) -> ConfigurationItem | None:
        return cls.stub(id) if id else None

    @classmethod
    def stub(cls, id: uuid.UUID) -> ConfigurationItem:
        return by_id(cls, str(id))

    @classmethod
    async def resolve_references(
        cls, info: strawberry.Info, representations: Sequence[Mapping[str, Any]]
    ) -> list[ConfigurationItem]:
        """Every id as given: whether the item exists is the cmdb subgraph's to say; here it
        only has incidents, or none."""
        return by_ids(cls, [str(r.get("id")) for r in representations])

    @strawberry.field(
        description="Incidents naming this item (as `ci` or among `affectedCis`) that are "
        "still worked on (OPEN, IN_PROGRESS, ON_HOLD), most urgent first, then oldest first.",
        extensions=requires(permissions.VIEW),
        metadata=batched(open_incidents_of, by_id=True),
    )
    async def open_incidents(self, info: strawberry.Info) -> list[Incident]:
        key = try_parse_id(self.id)
        if key is None:
            return []
        loader = info.context.loaders.get(OpenIncidentsByCiIdLoader)
        rows = await loader.load(key, Incident.row_fields.columns(info))
        return [Incident.from_row(row) for row in rows]

    @strawberry.field(
        description="Incidents naming this item (as `ci` or among `affectedCis`), newest "
        "first unless ordered otherwise; the same field of many items is read at once.",
        extensions=requires(permissions.VIEW),
    )
    async def incidents(
        self,
        info: strawberry.Info,
        filter: IncidentFilter | None = None,
        pagination: Pagination | None = None,
        order_by: IncidentOrder | None = None,
    ) -> Connection[Incident]:
        order = sort_order(order_by)
        page = PageRequest.from_input(pagination)
        columns = Incident.row_fields.columns(
            info, ("edges", "node"), also=[column.key for column in order.columns]
        )
        matching = filtered(incidents_of_cis(chosen_columns(Row, columns)), filter)
        key = try_parse_id(self.id)
        # Equal arguments and selections give equal statements: one signature, one batch.
        signature = repr((filter, order.name, page, sorted(columns or ())))
        loaders = info.context.loaders
        if key is None:
            rows: list[Any] = []
        else:
            statement = page_per_key(matching, matching.selected_columns[LINKED_CI], order, page)
            rows = await loaders.get(IncidentPagesByCiIdLoader).load_with(key, signature, statement)

        async def count() -> int:
            if key is None:
                return 0
            counted = filtered(incidents_of_cis([func.count()]), filter)
            counted = counted.group_by(counted.selected_columns[LINKED_CI])
            counts = loaders.get(IncidentCountsByCiIdLoader)
            return int(await counts.load_with(key, repr(filter), counted))

        return build_connection(rows, order, page, Incident.row_fields, count)
