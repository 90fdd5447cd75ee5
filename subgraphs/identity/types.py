"""The types identity's API shows: its entities User and Team, roles, API clients and the
audit log's records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from resolvers.batching import batched
from resolvers.columns import RowFields
from resolvers.loaders import load_by_id, rows_per_object
from resolvers.node_interface import Node
from resolvers.principal import RoleCatalogue
from resolvers.privacy import PII_PERMISSION, mask_email, mask_phone
from resolvers.references import ReferencedById
from subgraphs.identity.loaders import (
    CustomRolesLoader,
    MembersByTeamIdLoader,
    TeamByIdLoader,
    TeamsByUserIdLoader,
    UserByIdLoader,
)
from subgraphs.identity.permissions import VIEW


def _pii_visible(info: strawberry.Info) -> bool:
    return bool(info.context.principal.can(PII_PERMISSION))


def _email(user: User, visible: bool) -> str:
    return user.email_address if visible else mask_email(user.email_address)


def _phone(user: User, visible: bool) -> str | None:
    if user.phone_number is None or visible:
        return user.phone_number
    return mask_phone(user.phone_number)


async def teams_of(users: Sequence[User], info: strawberry.Info) -> list[Sequence[Team]]:
    """`User.teams` of many users at once (resolvers/batching.py)."""
    return await _across_membership(users, info, TeamsByUserIdLoader, Team)


async def members_of(teams: Sequence[Team], info: strawberry.Info) -> list[Sequence[User]]:
    """`Team.members` of many teams at once (resolvers/batching.py)."""
    return await _across_membership(teams, info, MembersByTeamIdLoader, User)


async def _across_membership(
    objects: Sequence[Any], info: strawberry.Info, loader_class: type[Any], other: Any
) -> list[Sequence[Any]]:
    """Per object, the ``other`` entities on the far side of team membership."""
    columns = other.row_fields.columns(info)
    per_object = await rows_per_object(info.context, loader_class, objects, columns)
    return [other.row_fields.many(rows) for rows in per_object]


async def emails_of(users: Sequence[User], info: strawberry.Info) -> list[str]:
    """`User.email` of many users at once (resolvers/batching.py: a page's assignees,
    reporters and authors, without a resolver call and its info per user)."""
    visible = _pii_visible(info)
    return [_email(user, visible) for user in users]


async def phones_of(users: Sequence[User], info: strawberry.Info) -> list[str | None]:
    """`User.phone` of many users at once, as ``emails_of``."""
    visible = _pii_visible(info)
    return [_phone(user, visible) for user in users]


@strawberry.federation.type(keys=["id"], description="A person who reports or works on tickets.")
class User(ReferencedById, Node):
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

    @strawberry.field(
        description="E-mail address, unique within the tenant (masked without pii:view).",
        metadata=batched(emails_of, reads=("email_address",)),
    )
    def email(self, info: strawberry.Info) -> str:
        return _email(self, _pii_visible(info))

    @strawberry.field(
        description="Phone number, if known (masked without pii:view).",
        metadata=batched(phones_of, reads=("phone_number",)),
    )
    def phone(self, info: strawberry.Info) -> str | None:
        return _phone(self, _pii_visible(info))

    @strawberry.field(
        description="What the user may do, sorted: for the caller itself (as `me`), the "
        "permissions its credentials carry in this request; for another user, what its "
        "stored roles grant (the built-in roles and the tenant's own)."
    )
    async def permissions(self, info: strawberry.Info) -> list[str]:
        principal = info.context.principal
        if principal.user_id is not None and str(principal.user_id) == str(self.id):
            return sorted(principal.permissions)
        custom = await info.context.loaders.get(CustomRolesLoader).load(principal.tenant_id)
        return sorted(principal.catalogue.permissions_for(frozenset(self.roles), custom))

    @strawberry.field(
        description="Teams this user belongs to, by name.", metadata=batched(teams_of, by_id=True)
    )
    async def teams(self, info: strawberry.Info) -> list[Team]:
        return list((await teams_of([self], info))[0])


@strawberry.federation.type(
    keys=["id"], description="An assignment group: the people a ticket can be routed to."
)
class Team(ReferencedById, Node):
    reference_permission = VIEW
    reference_loader = TeamByIdLoader

    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    name: str = strawberry.field(description="Name, unique within the tenant.")
    description: str = strawberry.field(description="What the team does.")
    email: str | None = strawberry.field(description="The team's shared mailbox, if any.")
    created_at: datetime = strawberry.field(description="When the team was created.")
    updated_at: datetime = strawberry.field(description="When the team last changed.")

    @strawberry.field(
        description="Members of the team, by name.", metadata=batched(members_of, by_id=True)
    )
    async def members(self, info: strawberry.Info) -> list[User]:
        return list((await members_of([self], info))[0])


User.row_fields = RowFields(
    User,
    {
        "id": ("id", str),
        "name": "name",
        "email_address": "email",
        "phone_number": "phone",
        "active": "active",
        "roles": ("roles", list),
        "created_at": "created_at",
        "updated_at": "updated_at",
    },
    needs={"email": ("email",), "phone": ("phone",), "teams": (), "permissions": ("roles",)},
)
Team.row_fields = RowFields(
    Team,
    {
        "id": ("id", str),
        "name": "name",
        "description": "description",
        "email": "email",
        "created_at": "created_at",
        "updated_at": "updated_at",
    },
    needs={"members": ()},
)


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


@strawberry.type(
    description="An application calling the API (a partner system, a mobile app), named by "
    "the `azp` (or `client_id`) claim of its tokens."
)
class ApiClient:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID) of the record.")
    client_id: str = strawberry.field(description="The client id its tokens carry.")
    safelist_only: bool = strawberry.field(
        description="When true the client may run only its registered persisted operations; "
        "anything else is refused with PERSISTED_QUERY_NOT_IN_LIST."
    )
    document_count: int = strawberry.field(
        description="How many persisted operations are registered for it."
    )
    created_at: datetime = strawberry.field(description="When the record was created.")

    @classmethod
    def from_row(cls, row: Any) -> ApiClient:
        return cls(
            id=strawberry.ID(str(row.id)),
            client_id=row.client_id,
            safelist_only=row.safelist_only,
            document_count=row.document_count,
            created_at=row.created_at,
        )


@strawberry.type(description="What registerPersistedOperations did.")
class RegisterPersistedOperationsPayload:
    client: ApiClient = strawberry.field(description="The client, with its new count.")
    added_ids: list[str] = strawberry.field(
        description="Ids of the operations registered now; those already registered with "
        "the same text are left as they were."
    )
    operation_count: int = strawberry.field(description="How many operations the manifest holds.")


# Personal data in recorded values, masked as on `User` for principals without pii:view.
MASKS = {("User", "email"): mask_email, ("User", "phone"): mask_phone}


def _shown(entity_type: str, field: str, value: Any, info: strawberry.Info) -> Any:
    mask = MASKS.get((entity_type, field))
    if mask is None or value is None or info.context.principal.can(PII_PERMISSION):
        return value
    return mask(value)


@strawberry.type(description="One changed field of an audited mutation.")
class AuditFieldChange:
    field: str = strawberry.field(description="The field's GraphQL name.")
    before: JSON | None = strawberry.field(description="Its value before (null: none).")
    after: JSON | None = strawberry.field(description="Its value after (null: none).")


@strawberry.type(description="What one committed mutation did, who did it, when and whence.")
class AuditEntry:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    recorded_at: datetime = strawberry.field(description="When the mutation committed.")
    actor_id: strawberry.Private[Any]
    operation: str = strawberry.field(description="The mutation's field name (createIncident).")
    entity_type: str = strawberry.field(description="The changed entity's type (Incident).")
    entity_id: strawberry.ID = strawberry.field(description="The changed entity's id.")
    before: strawberry.Private[dict[str, Any]]
    after: strawberry.Private[dict[str, Any]]
    request_id: str = strawberry.field(description="The request id (X-Request-Id or generated).")
    client_id: str | None = strawberry.field(
        description="The client application the token was issued to, if it says."
    )

    @classmethod
    def from_row(cls, row: Any) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(row.id)),
            recorded_at=row.recorded_at,
            actor_id=row.actor_id,
            operation=row.operation,
            entity_type=row.entity_type,
            entity_id=strawberry.ID(str(row.entity_id)),
            before=row.before,
            after=row.after,
            request_id=row.request_id,
            client_id=row.client_id,
        )

    @strawberry.field(
        description="The changed fields with their values before and after, by name "
        "(e-mail addresses and phone numbers masked without pii:view)."
    )
    def changes(self, info: strawberry.Info) -> list[AuditFieldChange]:
        return [
            AuditFieldChange(
                field=name,
                before=_shown(self.entity_type, name, self.before.get(name), info),
                after=_shown(self.entity_type, name, self.after.get(name), info),
            )
            for name in sorted(set(self.before) | set(self.after))
        ]

    @strawberry.field(description="The user who did it; null for an anonymous or unknown one.")
    async def actor(self, info: strawberry.Info) -> User | None:
        if self.actor_id is None:
            return None
        columns = User.row_fields.columns(info)
        row = await load_by_id(info.context, UserByIdLoader, self.actor_id, columns)
        return User.from_row(row) if row else None
