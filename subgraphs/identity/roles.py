"""Roles as the API shows them: the built-in ones and the tenant's own (`identity.roles`)."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select

from resolvers.principal import RoleCatalogue
from subgraphs.identity import tables


@strawberry.type(description="A named set of permissions that users and tokens refer to.")
class Role:
    id: strawberry.ID | None = strawberry.field(
        description="Unique id (UUID) of a tenant's own role; null for a built-in role."
    )
    name: str = strawberry.field(description="The name tokens' `roles` claim carries.")
    description: str = strawberry.field(description="What the role is for.")
    permissions: list[str] = strawberry.field(description="Permission names it grants, sorted.")
    builtin: bool = strawberry.field(
        description="Built-in roles (admin, operator, viewer) exist in every tenant and "
        "cannot be changed."
    )

    @classmethod
    def from_row(cls, row: Any) -> Role:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            permissions=sorted(row.permissions),
            builtin=False,
        )

    @classmethod
    def builtin_role(cls, catalogue: RoleCatalogue, name: str) -> Role:
        return cls(
            id=None,
            name=name,
            description=f"Built-in {name} role",
            permissions=sorted(catalogue.builtin[name]),
            builtin=True,
        )


async def all_roles(info: strawberry.Info) -> list[Role]:
    """Built-in roles, then the tenant's own, each by name."""
    ctx = info.context
    rows = await ctx.db.rows(
        select(tables.Role.__table__)
        .where(tables.Role.tenant_id == ctx.tenant_id)
        .order_by(tables.Role.name)
    )
    catalogue = ctx.principal.catalogue
    return [Role.builtin_role(catalogue, name) for name in sorted(catalogue.builtin)] + [
        Role.from_row(row) for row in rows
    ]
