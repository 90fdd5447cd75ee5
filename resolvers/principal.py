"""Who is asking: the principal built once per request (or WebSocket connection) and handed to
every subgraph fetch, and the permissions its roles grant."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

# Permission names are `<domain>:<action>`; domains add theirs as they arrive.
BUILTIN_ROLES: dict[str, frozenset[str]] = {
    "viewer": frozenset({"incident:view", "identity:view"}),
    "operator": frozenset({
        "incident:view", "incident:create", "incident:update", "incident:assign",
        "identity:view", "pii:view",
    }),
    "admin": frozenset({
        "incident:view", "incident:create", "incident:update", "incident:assign",
        "incident:delete", "incident:comment_on_behalf", "identity:view", "identity:manage",
        "pii:view", "audit:view", "admin:roles", "admin:clients", "admin:*",
    }),
}  # fmt: skip

PERMISSIONS: frozenset[str] = frozenset().union(*BUILTIN_ROLES.values())
"""The permission catalogue: every name a role (built-in or a tenant's own) may grant."""

CustomRoles = Mapping[str, frozenset[str]]
"""A tenant's own roles: name → the permissions it grants."""


def permissions_for(roles: frozenset[str], custom: CustomRoles | None = None) -> frozenset[str]:
    """The union of what the roles grant, built-in or the tenant's own (`custom`); unknown
    roles grant nothing."""
    granted: set[str] = set()
    for role in roles:
        granted |= BUILTIN_ROLES.get(role) or (custom or {}).get(role, frozenset())
    return frozenset(granted)


@dataclass(frozen=True)
class Principal:
    """The caller. `authenticated` is False for a request without a token; `client_id` names
    the application the token was issued to (a partner system), when the token says;
    `safelist_only` (token claim `opsgraph_safelist: true`) restricts the caller to the
    persisted operations registered for that client, as the client's own record may."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID | None = None
    subject: str | None = None
    client_id: str | None = None
    roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = field(default=frozenset())
    authenticated: bool = False
    expires_at: float | None = None  # the credentials' end (epoch seconds), if they have one
    safelist_only: bool = False

    @classmethod
    def with_roles(
        cls,
        tenant_id: uuid.UUID,
        roles: frozenset[str],
        *,
        user_id: uuid.UUID | None = None,
        subject: str | None = None,
        client_id: str | None = None,
        authenticated: bool = False,
        expires_at: float | None = None,
        custom_roles: CustomRoles | None = None,
        safelist_only: bool = False,
    ) -> Principal:
        """A principal whose permissions are what its roles grant (built-in roles, or the
        tenant's own roles in `custom_roles`)."""
        return cls(
            tenant_id=tenant_id,
            user_id=user_id,
            subject=subject,
            client_id=client_id,
            roles=roles,
            permissions=permissions_for(roles, custom_roles),
            authenticated=authenticated,
            expires_at=expires_at,
            safelist_only=safelist_only,
        )

    def can(self, permission: str) -> bool:
        return permission in self.permissions
