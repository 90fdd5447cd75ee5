"""Events the identity domain writes to the outbox, one per committed change of a user, team,
role or API client, in the unit of work of the change (a change that changes nothing writes
none). The payload is `{"id": ..., "changes": {field: [old, new]}}`, fields by their GraphQL
names; a created entity's fields go from null, a deleted one's to null.

Every server process follows them: the authenticator's active-user cache drops the user's
entry on any `User` event (opsgraph/auth/active_users.py), so a deactivation takes effect on
every replica; its custom-role cache drops a tenant's roles on any `Role` event
(opsgraph/auth/custom_roles.py); the response caches drop entries holding the changed entity."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from db.outbox import record_event

DOMAIN = "identity"  # the subgraph owning the entities (caches key on it)

# Entity types, as the API names them.
USER = "User"
TEAM = "Team"
ROLE = "Role"
API_CLIENT = "ApiClient"

USER_CREATED = "user.created"
USER_UPDATED = "user.updated"
USER_DEACTIVATED = "user.deactivated"
USER_REACTIVATED = "user.reactivated"
TEAM_CREATED = "team.created"
TEAM_MEMBER_ADDED = "team.member_added"
TEAM_MEMBER_REMOVED = "team.member_removed"
ROLE_CREATED = "role.created"
ROLE_UPDATED = "role.updated"
ROLE_DELETED = "role.deleted"
API_CLIENT_CREATED = "api_client.created"
API_CLIENT_UPDATED = "api_client.updated"
API_CLIENT_OPERATIONS_REGISTERED = "api_client.operations_registered"

EVENT_KINDS = frozenset(
    {
        USER_CREATED,
        USER_UPDATED,
        USER_DEACTIVATED,
        USER_REACTIVATED,
        TEAM_CREATED,
        TEAM_MEMBER_ADDED,
        TEAM_MEMBER_REMOVED,
        ROLE_CREATED,
        ROLE_UPDATED,
        ROLE_DELETED,
        API_CLIENT_CREATED,
        API_CLIENT_UPDATED,
        API_CLIENT_OPERATIONS_REGISTERED,
    }
)


class Entity(Protocol):
    """A row of the domain: every one carries its tenant and id."""

    @property
    def tenant_id(self) -> uuid.UUID: ...

    @property
    def id(self) -> uuid.UUID: ...


def user_event_kind(changes: dict[str, Any]) -> str:
    """A change of the active flag is named for what it does; other changes are updates."""
    if "active" in changes:
        return USER_REACTIVATED if changes["active"][1] else USER_DEACTIVATED
    return USER_UPDATED


def record_change(
    session: AsyncSession, entity_type: str, row: Entity, kind: str, changes: dict[str, Any]
) -> None:
    """Add the event of a change to `row` (an entity of `entity_type`) to the unit of work."""
    record_event(
        session,
        tenant_id=row.tenant_id,
        domain=DOMAIN,
        kind=kind,
        entity_type=entity_type,
        entity_id=row.id,
        payload={"id": str(row.id), "changes": changes},
    )


def record_user_event(session: AsyncSession, user: Entity, changes: dict[str, Any]) -> None:
    record_change(session, USER, user, user_event_kind(changes), changes)
