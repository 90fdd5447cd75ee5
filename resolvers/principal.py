"""Who is asking: the principal built once per request (or WebSocket connection) and handed to
every subgraph fetch, and the permissions its roles grant."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

BUILTIN_ROLE_NAMES = ("viewer", "operator", "admin")
"""The roles every tenant has. What each grants is declared by the domains (each grants its
own permissions), gathered by the registry into a `RoleCatalogue`."""

CustomRoles = Mapping[str, frozenset[str]]
"""A tenant's own roles: name → the permissions it grants."""


@dataclass(frozen=True)
class RoleCatalogue:
    """The built-in roles with what they grant, and every permission a role may grant.

    Permission names are `<domain>:<action>`; a domain declares its permissions and what each
    built-in role gets of them, and the registry merges the declarations into this."""

    builtin: Mapping[str, frozenset[str]]
    permissions: frozenset[str]

    @classmethod
    def merged(
        cls,
        permissions: Iterable[str],
        grants: Iterable[Mapping[str, Iterable[str]]],
    ) -> RoleCatalogue:
        """The catalogue of these permissions and the domains' grants of them; a grant of an
        undeclared permission or to an unknown role is a programming error."""
        declared = frozenset(permissions)
        builtin: dict[str, set[str]] = {name: set() for name in BUILTIN_ROLE_NAMES}
        for grant in grants:
            for role, granted in grant.items():
                if role not in builtin:
                    raise ValueError(f"grant to {role!r}, not a built-in role")
                undeclared = set(granted) - declared
                if undeclared:
                    raise ValueError(f"grant of undeclared permission(s) {sorted(undeclared)}")
                builtin[role] |= set(granted)
        return cls({name: frozenset(p) for name, p in builtin.items()}, declared)

    def permissions_for(
        self, roles: frozenset[str], custom: CustomRoles | None = None
    ) -> frozenset[str]:
        """The union of what the roles grant, built-in or the tenant's own (`custom`); unknown
        roles grant nothing."""
        granted: set[str] = set()
        for role in roles:
            granted |= self.builtin.get(role) or (custom or {}).get(role, frozenset())
        return frozenset(granted)

    def principal(
        self,
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
        return Principal(
            tenant_id=tenant_id,
            user_id=user_id,
            subject=subject,
            client_id=client_id,
            roles=roles,
            permissions=self.permissions_for(roles, custom_roles),
            authenticated=authenticated,
            expires_at=expires_at,
            safelist_only=safelist_only,
            catalogue=self,
        )


@dataclass(frozen=True)
class UserGrants:
    """What the user directory holds of a user now: whether it is active, its role names and,
    of those, the tenant's own roles with what each grants (`RoleCatalogue.permissions_for`
    turns them into permissions)."""

    active: bool
    roles: frozenset[str]
    custom: CustomRoles


NO_ROLES = RoleCatalogue({name: frozenset() for name in BUILTIN_ROLE_NAMES}, frozenset())
"""A catalogue granting nothing: the default of a principal built without one."""


@dataclass(frozen=True)
class Principal:
    """The caller. `authenticated` is False for a request without a token; `client_id` names
    the application the token was issued to (a partner system), when the token says;
    `safelist_only` (token claim `opsgraph_safelist: true`) restricts the caller to the
    persisted operations registered for that client, as the client's own record may.
    `catalogue` is the role vocabulary the permissions were derived from (what role
    administration validates names against)."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID | None = None
    subject: str | None = None
    client_id: str | None = None
    roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = field(default=frozenset())
    authenticated: bool = False
    expires_at: float | None = None  # the credentials' end (epoch seconds), if they have one
    safelist_only: bool = False
    catalogue: RoleCatalogue = field(default=NO_ROLES, compare=False)

    def can(self, permission: str) -> bool:
        return permission in self.permissions
