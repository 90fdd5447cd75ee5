"""The family's query root field: the list of major incidents."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from sqlalchemy import Select

from resolvers.built_statements import built_once
from resolvers.columns import Columns
from resolvers.pagination import Connection, Pagination, SortOrder, paginate, tenant_rows
from resolvers.permissions import requires
from subgraphs.incidents import permissions, tables
from subgraphs.incidents.family.enums import MajorIncidentState
from subgraphs.incidents.types import Incident

Row = tables.Incident
NEWEST_FIRST = SortOrder(name="OPENED_AT:DESC", columns=(Row.opened_at, Row.id), descending=True)


@strawberry.field(
    description="Major incidents of the tenant (accepted ones unless `states` says "
    "otherwise, e.g. [PROPOSED] for the proposals waiting for a decision), newest first.",
    extensions=requires(permissions.VIEW),
)
async def major_incidents(
    info: strawberry.Info,
    states: Annotated[
        list[MajorIncidentState] | None,
        strawberry.argument(description="Any of these states (default: ACCEPTED)."),
    ] = None,
    pagination: Pagination | None = None,
) -> Connection[Incident]:
    ctx = info.context
    wanted = states if states else [MajorIncidentState.ACCEPTED]
    columns = Incident.row_fields.columns(
        info, ("edges", "node"), also=[column.key for column in NEWEST_FIRST.columns]
    )
    query = built_once(_in_states, columns, wanted)
    return await paginate(ctx.db, query, NEWEST_FIRST, pagination, Incident.row_fields)


def _in_states(columns: Columns, states: list[MajorIncidentState]) -> Select[Any]:
    """The ``columns`` of the major incidents in ``states``: built once per values."""
    return tenant_rows(Row, columns).where(Row.major_state.in_([state.value for state in states]))
