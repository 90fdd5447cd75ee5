"""A process's event delivery: the outbox relay publishing committed events on the bus, and
the hub handing them to the process's subscriptions and observers.

The router with in-process subgraphs runs one; so does a stand-alone subgraph that serves
subscriptions. Several relays over one database are safe (hub.py drops repeats), and each
hub catches up from the outbox by itself, so a subgraph's subscribers see every domain's
events even where the bus is in-process (no REDIS_URL): within the hub's catch-up interval
when another process's relay published them.

With OPSGRAPH_AMQP_URL set, it also runs the message bus export (amqp_export.py), woken by
the hub's events: every process that relays may export, one at a time."""

from __future__ import annotations

from datetime import timedelta

from db.failures import is_connection_failure
from opsgraph.events.amqp_export import AmqpExporter, exporter
from opsgraph.events.bus import EventBus
from opsgraph.events.hub import EventHub
from opsgraph.events.relay import OutboxRelay
from opsgraph.runtime import Runtime


class EventDelivery:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.hub = EventHub(bus)
        self._relay: OutboxRelay | None = None
        self.exporter: AmqpExporter | None = None

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
        domains = [domain.name for domain in runtime.registry.domains]
        self.exporter = exporter(runtime.settings, runtime.owner_sessions, domains)
        if self.exporter is not None:
            # Registered before the app serves: events committed from then on are exported.
            # An unreachable database only delays that to the exporter's first round.
            try:
                await self.exporter.register()
            except Exception as error:
                if not is_connection_failure(error):
                    raise
            self.exporter.start(self.hub)

    async def stop(self) -> None:
        """Stop following, then exporting and relaying; the bus stays open for its other
        users."""
        await self.hub.stop()
        if self.exporter is not None:
            await self.exporter.stop()
        if self._relay is not None:
            await self._relay.stop()
