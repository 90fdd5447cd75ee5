"""Whether a token's user may still act, cached briefly per (tenant, user).

A token whose subject is a user id is accepted only while that user exists in the token's
tenant and is active. The answer is read (one indexed row) on a miss and kept for
`ttl_seconds`, so a request whose user was seen recently costs no SQL. A change drops the
entry at once: in the process that made it (the request context's `user_changed`), and in
every process through the user directory's domain's user events, which the event hub hands to
`observe`.

Like the custom-role cache, a generation counter keeps a load that began before a change
from caching what it read. Open WebSocket connections wait in `revoked` and are closed as
soon as a change leaves their user inactive."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.scope import RequestDatabase
from resolvers.domain import PrincipalDirectory
from resolvers.events import Event


class UserState(Enum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    UNKNOWN = "unknown"  # no such user in the tenant


REFUSALS = {
    UserState.INACTIVE: "The token's user is deactivated",
    UserState.UNKNOWN: "The token's subject is not a user of its tenant",
}
UserLoader = Callable[[uuid.UUID, uuid.UUID], Awaitable[UserState]]
Key = tuple[uuid.UUID, uuid.UUID]
DEFAULT_TTL_SECONDS = 5.0
MAX_ENTRIES = 100_000


async def load_user_state(
    directory: PrincipalDirectory,
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
) -> UserState:
    """Whether the user exists in the tenant and is active: one read by primary key, as the
    application role behind the tenant's wall."""
    db = RequestDatabase(sessions, tenant_id)
    try:
        active = await directory.user_active(db, user_id)
    finally:
        await db.close()
    if active is None:
        return UserState.UNKNOWN
    return UserState.ACTIVE if active else UserState.INACTIVE


@dataclass(frozen=True, slots=True)
class _Cached:
    state: UserState
    expires: float


class ActiveUserCache:
    def __init__(
        self,
        load: UserLoader,
        *,
        user_entity: str,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl = ttl_seconds
        self.user_entity = user_entity
        self._max_entries = max_entries
        self._clock = clock
        self._cached: dict[Key, _Cached] = {}
        # Bumped by every forget(): a load that began before any change is not cached (one
        # counter, not one per user, so that it does not grow with the users ever changed).
        self._generation = 0
        self._watchers: dict[Key, set[asyncio.Event]] = {}

    async def state(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> UserState:
        key = (tenant_id, user_id)
        cached = self._cached.get(key)
        if cached is not None and cached.expires > self._clock():
            return cached.state
        generation = self._generation
        state = await self._load(tenant_id, user_id)
        if self._generation == generation:
            self._store(key, state)
        return state

    def _store(self, key: Key, state: UserState) -> None:
        now = self._clock()
        if len(self._cached) >= self._max_entries:
            self._cached = {k: v for k, v in self._cached.items() if v.expires > now}
            while len(self._cached) >= self._max_entries:  # all fresh: drop the oldest
                del self._cached[next(iter(self._cached))]
        self._cached.pop(key, None)  # re-inserted last: the dict stays in age order
        self._cached[key] = _Cached(state, now + self._ttl)

    def forget(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """The user changed: read again next time, and wake the connections that wait."""
        key = (tenant_id, user_id)
        self._cached.pop(key, None)
        self._generation += 1
        for woken in self._watchers.get(key, ()):
            woken.set()

    def observe(self, event: Event) -> None:
        """An event hub observer: events of users (`user_entity`, the entity type the user
        directory's domain records them under) drop that user's entry."""
        if event.entity_type == self.user_entity:
            self.forget(event.tenant_id, event.entity_id)

    async def revoked(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> str:
        """Wait until the user is no longer active (woken by `forget`); the reason why."""
        key = (tenant_id, user_id)
        woken = asyncio.Event()
        self._watchers.setdefault(key, set()).add(woken)
        try:
            while True:
                # Checked after registering: a change just before is not missed.
                state = await self.state(tenant_id, user_id)
                if state is not UserState.ACTIVE:
                    return REFUSALS[state]
                await woken.wait()
                woken.clear()
        finally:
            watchers = self._watchers[key]
            watchers.discard(woken)
            if not watchers:
                del self._watchers[key]
