"""The active-user cache: one read per user while fresh, dropped on a change or an identity
event, a load that raced a change not cached, and waiting connections woken when their user
is deactivated. (What a miss and a hit cost in SQL: tests/opsgraph/test_statement_counts.py.)"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from opsgraph.auth.active_users import ActiveUserCache, UserState
from resolvers.events import Event

TENANT, USER = uuid.uuid4(), uuid.uuid4()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def event(entity_type: str, entity_id: uuid.UUID) -> Event:
    return Event(
        seq=1,
        tenant_id=TENANT,
        kind="user.deactivated" if entity_type == "User" else "incident.updated",
        entity_type=entity_type,
        entity_id=entity_id,
        payload={},
        occurred_at=datetime.now(UTC),
    )


async def test_loads_once_while_fresh_and_again_when_expired_forgotten_or_told() -> None:
    loads: list[tuple[uuid.UUID, uuid.UUID]] = []
    state = {"now": UserState.ACTIVE}

    async def load(tenant: uuid.UUID, user: uuid.UUID) -> UserState:
        loads.append((tenant, user))
        return state["now"]

    clock = Clock()
    cache = ActiveUserCache(load, user_entity="User", ttl_seconds=5, clock=clock)
    assert await cache.state(TENANT, USER) is UserState.ACTIVE
    clock.now = 4.9
    assert await cache.state(TENANT, USER) is UserState.ACTIVE
    assert len(loads) == 1
    state["now"] = UserState.INACTIVE
    clock.now = 5.1
    assert await cache.state(TENANT, USER) is UserState.INACTIVE
    state["now"] = UserState.ACTIVE
    cache.forget(TENANT, USER)
    assert await cache.state(TENANT, USER) is UserState.ACTIVE
    state["now"] = UserState.INACTIVE
    cache.observe(event("Incident", USER))  # not a user event: kept
    assert await cache.state(TENANT, USER) is UserState.ACTIVE
    cache.observe(event("User", USER))
    assert await cache.state(TENANT, USER) is UserState.INACTIVE
    assert len(loads) == 4


async def test_a_load_that_raced_a_change_is_not_cached() -> None:
    release = asyncio.Event()
    calls = {"n": 0}

    async def load(tenant: uuid.UUID, user: uuid.UUID) -> UserState:
        calls["n"] += 1
        if calls["n"] == 1:
            await release.wait()
            return UserState.ACTIVE
        return UserState.INACTIVE

    cache = ActiveUserCache(load, user_entity="User")
    slow = asyncio.create_task(cache.state(TENANT, USER))
    await asyncio.sleep(0)
    cache.forget(TENANT, USER)  # deactivated while the first load was reading
    release.set()
    assert await slow is UserState.ACTIVE
    assert await cache.state(TENANT, USER) is UserState.INACTIVE


async def test_the_cache_is_bounded() -> None:
    async def load(tenant: uuid.UUID, user: uuid.UUID) -> UserState:
        return UserState.ACTIVE

    cache = ActiveUserCache(load, user_entity="User", max_entries=3)
    users = [uuid.uuid4() for _ in range(5)]
    for each in users:
        await cache.state(TENANT, each)
    assert list(cache._cached) == [(TENANT, each) for each in users[2:]]


async def test_a_waiting_connection_is_woken_when_its_user_is_deactivated() -> None:
    state = {"now": UserState.ACTIVE}

    async def load(tenant: uuid.UUID, user: uuid.UUID) -> UserState:
        return state["now"]

    cache = ActiveUserCache(load, user_entity="User", ttl_seconds=3600)
    waiting = asyncio.create_task(cache.revoked(TENANT, USER))
    await asyncio.sleep(0)
    cache.forget(TENANT, USER)  # a change that leaves the user active: keeps waiting
    await asyncio.sleep(0)
    assert not waiting.done()
    state["now"] = UserState.INACTIVE
    cache.observe(event("User", USER))
    assert await waiting == "The token's user is deactivated"
    assert not cache._watchers  # nothing left behind
