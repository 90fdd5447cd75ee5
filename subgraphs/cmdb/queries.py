"""Query root of the CMDB subgraph: configuration items and their classes."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select

from resolvers.batching import read_by_id
from resolvers.columns import chosen_columns
from resolvers.node import node_fields
from resolvers.pagination import Connection, Pagination, SortOrder, paginate, tenant_rows
from resolvers.permissions import requires
from subgraphs.cmdb import enums, permissions, tables
from subgraphs.cmdb.catalogue import ensure_builtin_classes
from subgraphs.cmdb.filters import Row, list_filtered
from subgraphs.cmdb.inputs import CiFilter, CiOrder
from subgraphs.cmdb.types import CiClass, ConfigurationItem

SORT_COLUMNS: dict[enums.CiSortField, tuple[Any, ...]] = {
    enums.CiSortField.NAME: (Row.name, Row.id),
    enums.CiSortField.CRITICALITY: (Row.criticality, Row.name, Row.id),
    enums.CiSortField.CREATED_AT: (Row.created_at, Row.id),
    enums.CiSortField.UPDATED_AT: (Row.updated_at, Row.id),
}


def sort_order(order: CiOrder | None) -> SortOrder:
    order = order or CiOrder()
    return SortOrder(
        name=f"{order.field.value}:{order.direction.value}",
        columns=SORT_COLUMNS[order.field],
        descending=order.direction is enums.SortDirection.DESC,
    )


async def _class_rows(info: strawberry.Info, columns: Any) -> list[Any]:
    """The tenant's classes, the built-in ones materialised first if this is the tenant's
    first look at the CMDB."""
    ctx = info.context
    c = tables.CiClass
    query = select(*chosen_columns(c, columns)).where(c.tenant_id == ctx.tenant_id)
    rows = list(await ctx.db.rows(query.order_by(c.name)))
    if not rows:  # a tenant's own classes are only ever added after the built-in ones
        async with ctx.db.unit_of_work() as session:
            await ensure_builtin_classes(session, ctx.tenant_id)
        rows = list(await ctx.db.rows(query.order_by(c.name)))
    return rows


@strawberry.type
class Query:
    node, nodes = node_fields(ConfigurationItem)

    @strawberry.field(
        description="Configuration items of the tenant, by name unless ordered otherwise.",
        extensions=requires(permissions.VIEW),
    )
    async def configuration_items(
        self,
        info: strawberry.Info,
        filter: CiFilter | None = None,
        pagination: Pagination | None = None,
        order_by: CiOrder | None = None,
    ) -> Connection[ConfigurationItem]:
        ctx = info.context
        order = sort_order(order_by)
        columns = ConfigurationItem.row_fields.columns(
            info, ("edges", "node"), also=[column.key for column in order.columns]
        )
        return await paginate(
            ctx.db,
            await list_filtered(ctx.db, tenant_rows(Row, columns), ctx.tenant_id, filter),
            order,
            pagination,
            ConfigurationItem.row_fields,
        )

    @strawberry.field(
        description="A configuration item by id; null when there is none.",
        extensions=requires(permissions.VIEW),
        metadata=read_by_id(),
    )
    async def configuration_item(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> ConfigurationItem | None:
        return await ConfigurationItem.resolve_reference(info, id)

    @strawberry.field(
        description="A configuration item by its class and name; null when there is none.",
        extensions=requires(permissions.VIEW),
    )
    async def configuration_item_by_name(
        self, info: strawberry.Info, class_name: str, name: str
    ) -> ConfigurationItem | None:
        ctx = info.context
        c = tables.CiClass
        columns = ConfigurationItem.row_fields.columns(info)
        rows = await ctx.db.rows(
            select(*chosen_columns(Row, columns))
            .join(c, c.id == Row.class_id)
            .where(Row.tenant_id == ctx.tenant_id, c.name == class_name, Row.name == name.strip())
        )
        return ConfigurationItem.from_row(rows[0]) if rows else None

    @strawberry.field(
        description="The tenant's CI classes (built-in and its own), by name.",
        extensions=requires(permissions.VIEW),
    )
    async def ci_classes(self, info: strawberry.Info) -> list[CiClass]:
        rows = await _class_rows(info, CiClass.row_fields.columns(info))
        return [CiClass.from_row(row) for row in rows]

    @strawberry.field(
        description="A CI class by name; null when the tenant has none of that name.",
        extensions=requires(permissions.VIEW),
    )
    async def ci_class(self, info: strawberry.Info, name: str) -> CiClass | None:
        rows = await _class_rows(info, CiClass.row_fields.columns(info, also=["name"]))
        return next((CiClass.from_row(row) for row in rows if row.name == name), None)
