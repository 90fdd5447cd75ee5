"""Query root of the incidents subgraph."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy import ColumnElement, Select, select

from resolvers import work_filters
from resolvers.batching import read_by_id
from resolvers.built_statements import built_once
from resolvers.columns import Columns
from resolvers.ids import parse_id
from resolvers.node import node_fields
from resolvers.pagination import Connection, Pagination, SortOrder, paginate, tenant_rows
from resolvers.permissions import requires
from resolvers.value_tokens import ValueTokens
from subgraphs.incidents import (
    auto_close,
    bulk_api,
    enums,
    field_filters,
    lifecycle,
    permissions,
    rules,
    tables,
)
from subgraphs.incidents.alerts import api as alert_api
from subgraphs.incidents.custom_fields import api as field_api
from subgraphs.incidents.family import queries as family_queries
from subgraphs.incidents.inputs import IncidentFilter, IncidentOrder
from subgraphs.incidents.lifecycle_types import IncidentSettings
from subgraphs.incidents.loaders import IncidentByNumberLoader
from subgraphs.incidents.types import Incident

Row = tables.Incident
WORDS = ValueTokens(tables.IncidentSearchToken, Row)  # its search's lexemes
SORT_COLUMNS: dict[enums.IncidentSortField, tuple[Any, ...]] = {
    enums.IncidentSortField.OPENED_AT: (Row.opened_at, Row.id),
    enums.IncidentSortField.UPDATED_AT: (Row.updated_at, Row.id),
    enums.IncidentSortField.PRIORITY: (Row.priority, Row.opened_at, Row.id),
}


def sort_order(order: IncidentOrder | None) -> SortOrder:
    return work_filters.sort_order(order or IncidentOrder(), SORT_COLUMNS)


def filtered(query: Select[Any], f: IncidentFilter | None) -> Select[Any]:
    """`query` narrowed by the client's filter (values validated, never spliced into SQL)."""
    if f is None:
        return query
    query = work_filters.assigned(query, Row, f)
    if f.hold_reason:
        query = query.where(Row.hold_reason.in_([reason.value for reason in f.hold_reason]))
    if f.ci_id is not None:
        query = query.where(about_ci(parse_id(f.ci_id, "filter.ciId")))
    if f.external_id is not None:
        query = query.where(Row.external_id == f.external_id)
    if f.parent_id is not None:
        query = query.where(Row.parent_id == parse_id(f.parent_id, "filter.parentId"))
    if f.unassigned is not None:
        query = query.where(
            Row.assignee_id.is_(None) if f.unassigned else Row.assignee_id.isnot(None)
        )
    query = field_filters.narrowed(query, f.tags, f.custom_fields)
    return work_filters.found_and_dated(query, Row, f, WORDS)


def _listed(columns: Columns, f: IncidentFilter | None) -> Select[Any]:
    """The incidents ``filtered`` by ``f``, their ``columns``: built once per values."""
    return filtered(tenant_rows(Row, columns), f)


def about_ci(ci_id: uuid.UUID) -> ColumnElement[bool]:
    """The incident names `ci_id`, as its primary CI or as an affected one."""
    return work_filters.about_ci(Row, tables.IncidentAffectedCi, "incident_id", ci_id)


@strawberry.type
class Query:
    node, nodes = node_fields(Incident)

    integrations = alert_api.integrations
    integration_deliveries = alert_api.integration_deliveries
    incident_bulk_update = bulk_api.incident_bulk_update
    major_incidents = family_queries.major_incidents
    incident_fields = field_api.incident_fields

    @strawberry.field(
        description="Incidents of the tenant, newest first unless ordered otherwise.",
        extensions=requires(permissions.VIEW),
    )
    async def incidents(
        self,
        info: strawberry.Info,
        filter: IncidentFilter | None = None,
        pagination: Pagination | None = None,
        order_by: IncidentOrder | None = None,
    ) -> Connection[Incident]:
        ctx = info.context
        order = sort_order(order_by)
        # The columns the nodes' selection needs, and the sort keys (for the cursors).
        columns = Incident.row_fields.columns(
            info, ("edges", "node"), also=[column.key for column in order.columns]
        )
        query = built_once(_listed, columns, filter)
        return await paginate(ctx.db, query, order, pagination, Incident.row_fields)

    @strawberry.field(
        description="An incident by id; null when there is none.",
        extensions=requires(permissions.VIEW),
        metadata=read_by_id(),
    )
    async def incident(self, info: strawberry.Info, id: strawberry.ID) -> Incident | None:
        return await Incident.resolve_reference(info, id)

    @strawberry.field(
        description="An incident by its human number (INC-1042 or 1042).",
        extensions=requires(permissions.VIEW),
    )
    async def incident_by_number(self, info: strawberry.Info, number: str) -> Incident | None:
        value = rules.parse_number(number)
        if not value:
            return None
        loader = info.context.loaders.get(IncidentByNumberLoader)
        row = await loader.load(value, Incident.row_fields.columns(info))
        return Incident.from_row(row) if row else None

    @strawberry.field(
        description="The tenant's incident settings (defaults until an admin changes them).",
        extensions=requires(permissions.VIEW),
    )
    async def incident_settings(self, info: strawberry.Info) -> IncidentSettings:
        settings = tables.IncidentSettings
        rows = await info.context.db.rows(
            select(settings.reopen_window_days, settings.auto_close_days).where(
                settings.tenant_id == info.context.tenant_id
            )
        )
        if not rows:
            return IncidentSettings(
                reopen_window_days=lifecycle.DEFAULT_REOPEN_WINDOW_DAYS,
                auto_close_days=auto_close.DEFAULT_DAYS,
            )
        return IncidentSettings.of(rows[0])
