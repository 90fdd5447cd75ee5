"""Query root of the identity subgraph."""

from __future__ import annotations

import strawberry
from sqlalchemy import or_, select

from resolvers.ids import parse_id
from resolvers.pagination import Connection, Pagination, SortOrder, paginate
from resolvers.permissions import requires
from subgraphs.identity import tables
from subgraphs.identity.api_clients import ApiClient, all_clients
from subgraphs.identity.audit_log import AuditEntry, audit_log
from subgraphs.identity.inputs import AuditLogFilter, TeamFilter, UserFilter
from subgraphs.identity.permissions import MANAGE_CLIENTS, VIEW, VIEW_AUDIT
from subgraphs.identity.roles import Role, all_roles
from subgraphs.identity.types import Team, User

USERS_BY_NAME = SortOrder("NAME", (tables.User.name, tables.User.id), descending=False)
TEAMS_BY_NAME = SortOrder("NAME", (tables.Team.name, tables.Team.id), descending=False)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@strawberry.type
class Query:
    @strawberry.field(
        description="A user by id; null when there is none.", extensions=requires(VIEW)
    )
    async def user(self, info: strawberry.Info, id: strawberry.ID) -> User | None:
        return await User.resolve_reference(info, id)

    @strawberry.field(description="Users of the tenant, by name.", extensions=requires(VIEW))
    async def users(
        self,
        info: strawberry.Info,
        filter: UserFilter | None = None,
        pagination: Pagination | None = None,
    ) -> Connection[User]:
        ctx = info.context
        query = select(tables.User.__table__).where(tables.User.tenant_id == ctx.tenant_id)
        if filter and filter.search:
            pattern = _like(filter.search)
            query = query.where(
                or_(tables.User.name.ilike(pattern), tables.User.email.ilike(pattern))
            )
        if filter and filter.active is not None:
            query = query.where(tables.User.active.is_(filter.active))
        if filter and filter.team_id is not None:
            members = select(tables.TeamMember.user_id).where(
                tables.TeamMember.team_id == parse_id(filter.team_id, "filter.teamId")
            )
            query = query.where(tables.User.id.in_(members))
        return await paginate(ctx.db, query, USERS_BY_NAME, pagination, User.from_row)

    @strawberry.field(
        description="A team by id; null when there is none.", extensions=requires(VIEW)
    )
    async def team(self, info: strawberry.Info, id: strawberry.ID) -> Team | None:
        return await Team.resolve_reference(info, id)

    @strawberry.field(description="Teams of the tenant, by name.", extensions=requires(VIEW))
    async def teams(
        self,
        info: strawberry.Info,
        filter: TeamFilter | None = None,
        pagination: Pagination | None = None,
    ) -> Connection[Team]:
        ctx = info.context
        query = select(tables.Team.__table__).where(tables.Team.tenant_id == ctx.tenant_id)
        if filter and filter.search:
            query = query.where(tables.Team.name.ilike(_like(filter.search)))
        return await paginate(ctx.db, query, TEAMS_BY_NAME, pagination, Team.from_row)

    @strawberry.field(
        description="Roles of the tenant: the built-in ones, then its own, by name.",
        extensions=requires(VIEW),
    )
    async def roles(self, info: strawberry.Info) -> list[Role]:
        return await all_roles(info)

    @strawberry.field(
        description="The permission catalogue: every name a role may grant, sorted.",
        extensions=requires(VIEW),
    )
    def permissions(self, info: strawberry.Info) -> list[str]:
        return sorted(info.context.principal.catalogue.permissions)

    @strawberry.field(
        description="Records of committed mutations, newest first (needs audit:view).",
        extensions=requires(VIEW_AUDIT),
    )
    async def audit_log(
        self,
        info: strawberry.Info,
        filter: AuditLogFilter | None = None,
        pagination: Pagination | None = None,
    ) -> Connection[AuditEntry]:
        return await audit_log(info, filter, pagination)

    @strawberry.field(
        description="The tenant's API client records, by client id (needs admin:clients).",
        extensions=requires(MANAGE_CLIENTS),
    )
    async def api_clients(self, info: strawberry.Info) -> list[ApiClient]:
        return await all_clients(info)
