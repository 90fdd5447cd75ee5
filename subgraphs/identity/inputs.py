"""Inputs and filters of the identity API."""

from __future__ import annotations

import strawberry


@strawberry.input(description="A new user.")
class CreateUserInput:
    name: str = strawberry.field(description="Display name (1-200 characters).")
    email: str = strawberry.field(description="E-mail address, unique within the tenant.")
    phone: str | None = strawberry.field(default=None, description="Phone number.")
    roles: list[str] = strawberry.field(
        default_factory=lambda: ["viewer"], description="Role names (admin, operator, viewer)."
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
