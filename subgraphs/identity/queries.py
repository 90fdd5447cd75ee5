"""Query root of the identity subgraph."""

from __future__ import annotations

import uuid

import strawberry

from resolvers.batching import read_by_id
from resolvers.errors import Unauthenticated
from resolvers.ids import parse_id
from resolvers.loaders import load_by_id
from resolvers.node import node_fields
from resolvers.pagination import Connection, Pagination, paginate
from resolvers.permissions import requires
from subgraphs.identity.inputs import AuditLogFilter, TeamFilter, UserFilter
from subgraphs.identity.loaders import UserByIdLoader
from subgraphs.identity.permissions import MANAGE_CLIENTS, VIEW, VIEW_AUDIT
from subgraphs.identity.service import api_clients as client_service
from subgraphs.identity.service import audit_log as audit_service
from subgraphs.identity.service import roles as role_service
from subgraphs.identity.service import teams as team_service
from subgraphs.identity.service import users as user_service
from subgraphs.identity.types import ApiClient, AuditEntry, Role, Team, User


def _optional_id(value: strawberry.ID | None, name: str) -> uuid.UUID | None:
    return parse_id(value, name) if value is not None else None


@strawberry.type
class Query:
    node, nodes = node_fields(User, Team)

    @strawberry.field(
        description="The caller's own user, with its roles and `permissions` (what this "
        "request may do), so a client can show or hide actions. Needs no permission, only "
        "authentication (UNAUTHENTICATED without a token); null for a caller that is no user "
        "of the tenant (an API client's token)."
    )
    async def me(self, info: strawberry.Info) -> User | None:
        principal = info.context.principal
        if not principal.authenticated:
            raise Unauthenticated("Authentication required: send a bearer token")
        if principal.user_id is None:
            return None
        # Not User.resolve_reference: reading one's own record needs no identity:view.
        columns = User.row_fields.columns(info)
        row = await load_by_id(info.context, UserByIdLoader, principal.user_id, columns)
        return User.from_row(row) if row else None

    @strawberry.field(
        description="A user by id; null when there is none.",
        extensions=requires(VIEW),
        metadata=read_by_id(),
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
        f = filter or UserFilter()
        query = user_service.user_list(
            ctx.tenant_id,
            search=f.search,
            active=f.active,
            team_id=_optional_id(f.team_id, "filter.teamId"),
        )
        return await paginate(ctx.db, query, user_service.BY_NAME, pagination, User.row_fields)

    @strawberry.field(
        description="A team by id; null when there is none.",
        extensions=requires(VIEW),
        metadata=read_by_id(),
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
        query = team_service.team_list(ctx.tenant_id, search=filter.search if filter else None)
        return await paginate(ctx.db, query, team_service.BY_NAME, pagination, Team.row_fields)

    @strawberry.field(
        description="Roles of the tenant: the built-in ones, then its own, by name.",
        extensions=requires(VIEW),
    )
    async def roles(self, info: strawberry.Info) -> list[Role]:
        ctx = info.context
        rows = await role_service.tenant_roles(ctx.db)
        catalogue = ctx.principal.catalogue
        return [Role.builtin_role(catalogue, name) for name in sorted(catalogue.builtin)] + [
            Role.from_row(row) for row in rows
        ]

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
        f = filter or AuditLogFilter()
        query = audit_service.audit_entries(
            info.context.tenant_id,
            entity_type=f.entity_type,
            entity_id=_optional_id(f.entity_id, "filter.entityId"),
            actor_id=_optional_id(f.actor_id, "filter.actorId"),
            operation=f.operation,
            since=f.since,
            until=f.until,
        )
        return await paginate(
            info.context.db, query, audit_service.NEWEST_FIRST, pagination, AuditEntry.from_row
        )

    @strawberry.field(
        description="The tenant's API client records, by client id (needs admin:clients).",
        extensions=requires(MANAGE_CLIENTS),
    )
    async def api_clients(self, info: strawberry.Info) -> list[ApiClient]:
        rows = await client_service.tenant_clients(info.context.db)
        return [ApiClient.from_row(row) for row in rows]
