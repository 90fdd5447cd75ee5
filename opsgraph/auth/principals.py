"""From request headers to the principal: a validated bearer token, or — where the settings
allow it (development) — an anonymous principal acting in the default or named tenant.

A token's roles grant the built-in roles' permissions; a role name that is not built-in is
looked up among the tenant's own roles (`custom_roles`, cached, see custom_roles.py).

A token whose subject is a UUID speaks for that user of its tenant: it is refused while the
user is deactivated or does not exist there (`users`, cached, see active_users.py). Other
subjects (API clients, service accounts: a client id) are not users and are not checked."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from opsgraph.auth.active_users import REFUSALS, UserLoader, UserState
from opsgraph.auth.custom_roles import RoleLoader
from opsgraph.auth.errors import AuthError
from opsgraph.auth.tokens import TokenValidator
from resolvers.principal import CustomRoles, Principal, RoleCatalogue

TENANT_HEADER = "x-opsgraph-tenant"
# `"opsgraph_safelist": true` in a token: its bearer may run only the persisted operations
# registered for the token's client (`azp`/`client_id`), whatever the client's own record says.
SAFELIST_CLAIM = "opsgraph_safelist"
TenantLookup = Callable[[str], Awaitable[uuid.UUID | None]]


async def no_custom_roles(tenant_id: uuid.UUID) -> CustomRoles:
    return {}


class Refused(Exception):
    """The request cannot proceed: HTTP status, error code and a message for the client."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Authenticator:
    def __init__(
        self,
        validator: TokenValidator,
        lookup: TenantLookup,
        *,
        roles: RoleCatalogue,
        default_tenant: str,
        anonymous_role: str | None,
        users: UserLoader,
        custom_roles: RoleLoader = no_custom_roles,
    ) -> None:
        self.validator = validator
        self.lookup = lookup
        self.roles = roles
        self.default_tenant = default_tenant
        self.anonymous_role = anonymous_role
        self.users = users
        self.custom_roles = custom_roles

    async def principal(self, headers: Mapping[str, str]) -> Principal:
        authorization = headers.get("authorization")
        named = headers.get(TENANT_HEADER)
        if authorization is None:
            return await self._anonymous(named)
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused(401, "UNAUTHENTICATED", "Authorization must be 'Bearer <token>'")
        try:
            claims = await self.validator.validate(token.strip())
        except AuthError as error:
            raise Refused(401, "UNAUTHENTICATED", error.message) from None
        return await self._from_claims(claims, named)

    async def _tenant(self, reference: str) -> uuid.UUID:
        tenant_id = await self.lookup(reference) if len(reference) <= 100 else None
        if tenant_id is None:
            raise Refused(401, "UNAUTHENTICATED", f"Unknown tenant {reference[:100]!r}")
        return tenant_id

    async def _anonymous(self, named: str | None) -> Principal:
        if self.anonymous_role is None:
            raise Refused(401, "UNAUTHENTICATED", "Authentication required: send a bearer token")
        tenant_id = await self._tenant(named or self.default_tenant)
        return self.roles.principal(tenant_id, frozenset({self.anonymous_role}))

    async def _from_claims(self, claims: dict[str, Any], named: str | None) -> Principal:
        reference = claims.get("tenant_id")
        if not isinstance(reference, str):
            raise Refused(401, "UNAUTHENTICATED", "Token names no tenant (claim tenant_id)")
        tenant_id = await self._tenant(reference)
        if named is not None and await self._tenant(named) != tenant_id:
            raise Refused(403, "FORBIDDEN", "The token belongs to another tenant")
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise Refused(401, "UNAUTHENTICATED", "Token claim roles must be a list of names")
        subject = str(claims["sub"])
        try:
            user_id: uuid.UUID | None = uuid.UUID(subject)
        except ValueError:
            user_id = None
        if user_id is not None:
            state = await self.users(tenant_id, user_id)
            if state is not UserState.ACTIVE:
                raise Refused(401, "UNAUTHENTICATED", REFUSALS[state])
        client = claims.get("azp", claims.get("client_id"))
        safelist = claims.get(SAFELIST_CLAIM, False)
        if not isinstance(safelist, bool):
            raise Refused(401, "UNAUTHENTICATED", f"Token claim {SAFELIST_CLAIM} must be a boolean")
        expires = claims.get("exp")
        names = frozenset(roles)
        custom = await self.custom_roles(tenant_id) if names - self.roles.builtin.keys() else {}
        return self.roles.principal(
            tenant_id,
            names,
            user_id=user_id,
            subject=subject,
            client_id=client if isinstance(client, str) else None,
            authenticated=True,
            expires_at=float(expires) if isinstance(expires, int | float) else None,
            custom_roles=custom,
            safelist_only=safelist,
        )
