"""Events the identity domain writes to the outbox, one per committed change of a user.

Every server process follows them: the authenticator's active-user cache drops the user's
entry (opsgraph/auth/active_users.py), so a deactivation takes effect on every replica."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.outbox import record_event
from subgraphs.identity import tables

DOMAIN = "identity"  # the subgraph owning the entity (caches key on it)
USER = "User"  # the entity type of user events
USER_UPDATED = "user.updated"
USER_DEACTIVATED = "user.deactivated"
USER_REACTIVATED = "user.reactivated"


def user_event_kind(changes: dict[str, Any]) -> str:
    """A change of the active flag is named for what it does; other changes are updates."""
    if "active" in changes:
        return USER_REACTIVATED if changes["active"][1] else USER_DEACTIVATED
    return USER_UPDATED


def record_user_event(session: AsyncSession, user: tables.User, changes: dict[str, Any]) -> None:
    record_event(
        session,
        tenant_id=user.tenant_id,
        domain=DOMAIN,
        kind=user_event_kind(changes),
        entity_type=USER,
        entity_id=user.id,
        payload={"id": str(user.id), "changes": changes},
    )
