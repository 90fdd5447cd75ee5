"""The server's side of WebSocket connections: who each speaks for, and how many a principal holds.

The connection is authenticated once, from the `connection_init` payload (what browsers can
send: `{"authorization": "Bearer …"}`, or `{"headers": {…}}` as some clients do) over the
upgrade request's headers, by the same Authenticator as HTTP requests. Its context lives as
long as the connection and follows the tenant's events through the process's event hub.
A connection speaking for a user is closed (4403) once that user is deactivated.
Mutations sent over the connection are charged to the principal's rate-limit buckets like
those sent over HTTP (mutation_charges.py)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.failures import is_connection_failure
from opsgraph.auth.active_users import ActiveUserCache
from opsgraph.auth.principals import TENANT_HEADER, Refused
from opsgraph.mutation_charges import MutationCharges
from opsgraph.ratelimit import limit_keys
from opsgraph.request_auth import PrincipalSource
from resolvers.context import Context
from resolvers.errors import DATABASE_UNAVAILABLE
from resolvers.events import EventFeed
from resolvers.manifests import ApiSchema
from resolvers.principal import Principal
from resolvers.references import EntityPresence
from router.websocket_protocol import Close, ConnectionRefused, Grant

FORWARDED = ("authorization", TENANT_HEADER)


def connection_headers(upgrade: Mapping[str, str], payload: Mapping[str, Any]) -> dict[str, str]:
    """The upgrade's headers, overridden by credentials the init payload carries."""
    headers = {name.lower(): value for name, value in upgrade.items()}
    nested = payload.get("headers")
    for source in (nested if isinstance(nested, Mapping) else {}, payload):
        for name, value in source.items():
            if isinstance(name, str) and name.lower() in FORWARDED and isinstance(value, str):
                headers[name.lower()] = value
    return headers


def holder_of(principal: Principal, address: str) -> str:
    """Who holds a connection, for the limit per principal: the user, or an anonymous
    caller's address, in its tenant."""
    if principal.authenticated:
        return f"{principal.tenant_id}:user:{principal.subject}"
    return f"{principal.tenant_id}:anonymous:{address}"


class WebSocketAuthenticator:
    def __init__(
        self,
        authenticator: PrincipalSource,
        sessions: Callable[[], async_sessionmaker[AsyncSession]],
        events: EventFeed,
        *,
        max_connections: int,
        roles_changed: Callable[[uuid.UUID], None],
        active_users: ActiveUserCache,
        api_schema: ApiSchema | None = None,
        entity_presence: EntityPresence | None = None,
        debug: bool = False,
        charges: MutationCharges | None = None,
    ) -> None:
        self.authenticator = authenticator
        self.sessions = sessions
        self.events = events
        self.max_connections = max_connections
        self.roles_changed = roles_changed
        self.active_users = active_users
        self.api_schema = api_schema
        self.entity_presence = entity_presence
        self.debug = debug
        self.charges = charges
        self.connections: Counter[str] = Counter()

    async def __call__(
        self, upgrade: Mapping[str, str], payload: Mapping[str, Any], address: str
    ) -> Grant:
        headers = connection_headers(upgrade, payload)
        try:
            principal = await self.authenticator.principal(headers)
        except Refused as refused:
            raise ConnectionRefused(Close.FORBIDDEN, refused.message) from None
        except Exception as error:
            if not is_connection_failure(error):
                raise
            # 1013 Try Again Later: the client reconnects once the database is back.
            raise ConnectionRefused(Close.TRY_AGAIN_LATER, DATABASE_UNAVAILABLE) from None
        tenant_id = principal.tenant_id
        holder = holder_of(principal, address)
        if self.connections[holder] >= self.max_connections:
            raise ConnectionRefused(Close.TOO_MANY, "Too many connections for this principal")
        self.connections[holder] += 1
        context = Context.open(
            self.sessions(),
            principal=principal,
            request_id=uuid.uuid4().hex,
            headers=headers,
            debug=self.debug,
            events=self.events,
            roles_changed=self.roles_changed,
            user_changed=self.active_users.forget,
            api_schema=self.api_schema,
            entity_presence=self.entity_presence,
        )
        if self.charges is not None:
            self.charges.bind(context, limit_keys(principal, address), prepaid=0)

        async def release() -> None:
            self.connections[holder] -= 1
            if not self.connections[holder]:
                del self.connections[holder]
            await context.close()

        user_id = principal.user_id
        revoked = None if user_id is None else lambda: self.active_users.revoked(tenant_id, user_id)
        return Grant(context, principal.expires_at, release, revoked)
