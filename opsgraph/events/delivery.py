"""A process's event delivery: the outbox relay publishing committed events on the bus, and
the hub handing them to the process's subscriptions and observers.

The router with in-process subgraphs runs one; so does a stand-alone subgraph that serves
subscriptions. Several relays over one database are safe (hub.py drops repeats), and each
hub catches up from the outbox by itself, so a subgraph's subscribers see every domain's
events even where the bus is in-process (no REDIS_URL): within the hub's catch-up interval
when another process's relay published them."""

from __future__ import annotations

from datetime import timedelta

from opsgraph.events.bus import EventBus
from opsgraph.events.hub import EventHub
from opsgraph.events.relay import OutboxRelay
from opsgraph.runtime import Runtime


class EventDelivery:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.hub = EventHub(bus)
        self._relay: OutboxRelay | None = None

    async def start(self, runtime: Runtime) -> None:
        """Start relaying and following; the runtime is open (the owner's sessions read
        every tenant's events)."""
        assert runtime.owner_sessions is not None
        self._relay = OutboxRelay(
            runtime.owner_sessions,
            self.bus,
            runtime.database_url,
            retention=timedelta(hours=runtime.settings.event_retention_hours),
        )
        self._relay.start()
        await self.hub.start(runtime.owner_sessions)

    async def stop(self) -> None:
        """Stop following, then relaying; the bus stays open for its other users."""
        await self.hub.stop()
        if self._relay is not None:
            await self._relay.stop()
