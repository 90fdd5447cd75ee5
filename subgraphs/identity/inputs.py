"""Inputs and filters of the identity API (users, teams, roles and the audit log)."""

from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.input(description="A new user.")
class CreateUserInput:
    name: str = strawberry.field(description="Display name (1-200 characters).")
    email: str = strawberry.field(description="E-mail address, unique within the tenant.")
    phone: str | None = strawberry.field(default=None, description="Phone number.")
    roles: list[str] = strawberry.field(
        default_factory=lambda: ["viewer"], description="Role names (admin, operator, viewer)."
    )


@strawberry.input(description="Changes to a user; omitted fields stay as they are.")
class UpdateUserInput:
    name: str | None = strawberry.field(
        default=None, description="Display name (1-200 characters)."
    )
    phone: str | None = strawberry.field(
        default=None, description="Phone number (at most 40 characters); empty removes it."
    )
    active: bool | None = strawberry.field(
        default=None,
        description="false deactivates the user: their tokens are refused from then on "
        "(UNAUTHENTICATED) and open WebSocket connections are closed; true reactivates.",
    )


@strawberry.input(description="A new team.")
class CreateTeamInput:
    name: str = strawberry.field(description="Name (1-200 characters), unique within the tenant.")
    description: str = strawberry.field(default="", description="What the team does.")
    email: str | None = strawberry.field(default=None, description="Shared mailbox.")


@strawberry.input(description="Which users to list.")
class UserFilter:
    search: str | None = strawberry.field(
        default=None, description="Part of the name or e-mail (case-insensitive)."
    )
    active: bool | None = strawberry.field(default=None, description="Only (in)active users.")
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only members of this team."
    )


@strawberry.input(description="Which teams to list.")
class TeamFilter:
    search: str | None = strawberry.field(
        default=None, description="Part of the name (case-insensitive)."
    )


@strawberry.input(description="A new role of this tenant.")
class CreateRoleInput:
    name: str = strawberry.field(
        description="Name that tokens' `roles` claim and users' roles refer to: 1-63 "
        "characters, a lower-case letter then lower-case letters, digits, '.', '_' or '-'; "
        "not a built-in role's name."
    )
    description: str = strawberry.field(default="", description="What the role is for.")
    permissions: list[str] = strawberry.field(
        description="Permission names (`<domain>:<action>`) from the catalogue; see `permissions`."
    )


@strawberry.input(description="Changes to a role; omitted fields stay as they are.")
class UpdateRoleInput:
    description: str | None = strawberry.field(default=None, description="What the role is for.")
    permissions: list[str] | None = strawberry.field(
        default=None, description="The complete new set of permission names."
    )


@strawberry.input(description="Which audit records to list; all conditions must hold.")
class AuditLogFilter:
    entity_type: str | None = strawberry.field(
        default=None, description="Only records about this entity type (Incident, User, ...)."
    )
    entity_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only records about this entity."
    )
    actor_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only records of what this user did."
    )
    operation: str | None = strawberry.field(
        default=None, description="Only records of this mutation (createIncident, ...)."
    )
    since: datetime | None = strawberry.field(
        default=None, description="Only records at or after this time."
    )
    until: datetime | None = strawberry.field(
        default=None, description="Only records before this time."
    )


@strawberry.input(description="A new API client record.")
class CreateApiClientInput:
    client_id: str = strawberry.field(
        description="The client id its tokens carry (`azp` or `client_id` claim), 1-200 characters."
    )
    safelist_only: bool = strawberry.field(
        default=False,
        description="May it run only its registered persisted operations?",
    )


@strawberry.input(description="Changes to an API client; omitted fields stay as they are.")
class UpdateApiClientInput:
    safelist_only: bool | None = strawberry.field(
        default=None, description="May it run only its registered persisted operations?"
    )


@strawberry.input(description="A persisted-operation manifest to register for a client.")
class RegisterPersistedOperationsInput:
    client_id: str = strawberry.field(description="An existing API client's id.")
    manifest: str = strawberry.field(
        description="The manifest file's content: Apollo's persisted-query manifest "
        '(`"format": "apollo-persisted-query-manifest"`, version 1) or Relay\'s '
        "`persisted-queries.json` (`{id: text}`). Every operation must validate against the "
        "current API schema, or nothing is registered."
    )
