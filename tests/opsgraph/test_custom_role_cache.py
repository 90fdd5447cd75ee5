"""The custom-role cache: one load per tenant while fresh, dropped on change or expiry, and a
load that raced a change does not bring the old roles back."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from opsgraph.auth.custom_roles import CustomRoleCache
from opsgraph.domains import REGISTRY
from resolvers.events import Event
from resolvers.principal import CustomRoles

TENANT = uuid.uuid4()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_loads_once_while_fresh_and_again_when_expired_or_forgotten() -> None:
    loads: list[uuid.UUID] = []
    version = {"n": 0}

    async def load(tenant: uuid.UUID) -> CustomRoles:
        loads.append(tenant)
        return {"triage": frozenset({f"v{version['n']}"})}

    clock = Clock()
    cache = CustomRoleCache(load, role_entity="Role", ttl_seconds=30, clock=clock)
    assert await cache.get(TENANT) == {"triage": frozenset({"v0"})}
    clock.now = 29
    await cache.get(TENANT)
    assert len(loads) == 1
    clock.now = 31
    version["n"] = 1
    assert await cache.get(TENANT) == {"triage": frozenset({"v1"})}
    version["n"] = 2
    cache.forget(TENANT)
    assert await cache.get(TENANT) == {"triage": frozenset({"v2"})}
    assert len(loads) == 3


async def test_a_load_that_raced_a_change_is_not_cached() -> None:
    release = asyncio.Event()
    calls = {"n": 0}

    async def load(tenant: uuid.UUID) -> CustomRoles:
        calls["n"] += 1
        if calls["n"] == 1:
            await release.wait()
            return {"triage": frozenset({"old"})}
        return {"triage": frozenset({"new"})}

    cache = CustomRoleCache(load, role_entity="Role")
    slow = asyncio.create_task(cache.get(TENANT))
    await asyncio.sleep(0)
    cache.forget(TENANT)  # the role changed while the first load was reading
    release.set()
    assert await slow == {"triage": frozenset({"old"})}
    assert await cache.get(TENANT) == {"triage": frozenset({"new"})}


async def test_a_role_event_of_any_process_drops_its_tenant_only() -> None:
    loads: list[uuid.UUID] = []

    async def load(tenant: uuid.UUID) -> CustomRoles:
        loads.append(tenant)
        return {}

    def event(entity_type: str, tenant: uuid.UUID) -> Event:
        return Event(
            seq=1,
            tenant_id=tenant,
            kind="role.updated",
            entity_type=entity_type,
            entity_id=uuid.uuid4(),
            payload={},
            occurred_at=datetime.now(UTC),
        )

    cache = CustomRoleCache(load, role_entity="Role")
    other = uuid.uuid4()
    for tenant in (TENANT, other):
        await cache.get(tenant)
    cache.observe(event("Incident", TENANT))  # not a role: nothing dropped
    cache.observe(event("Role", other))  # another tenant's role
    await cache.get(TENANT)
    assert loads == [TENANT, other]
    cache.observe(event("Role", TENANT))
    await cache.get(TENANT)
    assert loads == [TENANT, other, TENANT]


def test_custom_roles_grant_their_permissions_and_builtins_win() -> None:
    custom = {"triage": frozenset({"incident:view"}), "viewer": frozenset({"audit:view"})}
    principal = REGISTRY.roles.principal(
        TENANT, frozenset({"triage", "viewer", "ghost"}), custom_roles=custom
    )
    # The built-in viewer (not the tenant's role of that name: audit:view is not its) and
    # the triage role's own; the unknown role grants nothing.
    assert principal.permissions == REGISTRY.roles.builtin["viewer"] | {"incident:view"}
    assert "audit:view" not in principal.permissions
