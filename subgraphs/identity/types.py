"""The entities identity owns: User and Team."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from resolvers.ids import try_parse_id
from resolvers.privacy import PII_PERMISSION, mask_email, mask_phone
from resolvers.references import ReferencedById
from subgraphs.identity.loaders import (
    MembersByTeamIdLoader,
    TeamByIdLoader,
    TeamsByUserIdLoader,
    UserByIdLoader,
)
from subgraphs.identity.permissions import VIEW


@strawberry.federation.type(keys=["id"], description="A person who reports or works on tickets.")
class User(ReferencedById):
    reference_permission = VIEW
    reference_loader = UserByIdLoader

    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    name: str = strawberry.field(description="Display name.")
    email_address: strawberry.Private[str]
    phone_number: strawberry.Private[str | None]
    active: bool = strawberry.field(
        description="Inactive users keep their history but cannot be assigned new work."
    )
    roles: list[str] = strawberry.field(description="Role names (admin, operator, viewer).")
    created_at: datetime = strawberry.field(description="When the user was created.")
    updated_at: datetime = strawberry.field(description="When the user last changed.")

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            email_address=row.email,
            phone_number=row.phone,
            active=row.active,
            roles=list(row.roles),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(
        description="E-mail address, unique within the tenant (masked without pii:view)."
    )
    def email(self, info: strawberry.Info) -> str:
        visible = info.context.principal.can(PII_PERMISSION)
        return self.email_address if visible else mask_email(self.email_address)

    @strawberry.field(description="Phone number, if known (masked without pii:view).")
    def phone(self, info: strawberry.Info) -> str | None:
        if self.phone_number is None or info.context.principal.can(PII_PERMISSION):
            return self.phone_number
        return mask_phone(self.phone_number)

    @strawberry.field(description="Teams this user belongs to, by name.")
    async def teams(self, info: strawberry.Info) -> list[Team]:
        rows = await info.context.loaders.get(TeamsByUserIdLoader).load(try_parse_id(self.id))
        return [Team.from_row(r) for r in rows]


@strawberry.federation.type(
    keys=["id"], description="An assignment group: the people a ticket can be routed to."
)
class Team(ReferencedById):
    reference_permission = VIEW
    reference_loader = TeamByIdLoader

    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    name: str = strawberry.field(description="Name, unique within the tenant.")
    description: str = strawberry.field(description="What the team does.")
    email: str | None = strawberry.field(description="The team's shared mailbox, if any.")
    created_at: datetime = strawberry.field(description="When the team was created.")
    updated_at: datetime = strawberry.field(description="When the team last changed.")

    @classmethod
    def from_row(cls, row: Any) -> Team:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            email=row.email,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(description="Members of the team, by name.")
    async def members(self, info: strawberry.Info) -> list[User]:
        rows = await info.context.loaders.get(MembersByTeamIdLoader).load(try_parse_id(self.id))
        return [User.from_row(r) for r in rows]
