"""The message bus export (opsgraph/events/amqp_export.py) against real RabbitMQ: the
machine's broker, and a private node stopped and started again while events commit.

What the receiver sees is read from durable queues bound to the exchange (each test has an
exchange of its own): every event once, in `seq` order, with its routing key, as a
persistent CloudEvents message whose body the documented JSON Schema accepts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path

import aio_pika
import jsonschema_rs
import orjson
import pytest
from aio_pika.abc import AbstractIncomingMessage

from db import consumer_positions as positions
from db.outbox import record_event, sequence_bounds, stamp_committed
from db.tenants import create_tenant
from opsgraph.domains import REGISTRY
from opsgraph.events.amqp_export import EXPORTER, AmqpExporter, export_positions
from opsgraph.events.cloudevents import CONTENT_TYPE
from opsgraph.events.commands import status_table
from opsgraph.events.consumer_status import consumer_statuses
from tests.conftest import fresh_database
from tests.events.consumer_support import Sessions
from tests.events.rabbitmq import RabbitNode, machine_broker, server_script, unavailable
from tests.support import ServedApp, serving_app

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = orjson.loads((ROOT / "docs" / "bus-message.v1.schema.json").read_bytes())
DOMAINS = [domain.name for domain in REGISTRY.domains]
# (domain, kind, entity type): events of several domains, as their mutations write them
KINDS = [
    ("incidents", "incident.created", "Incident"),
    ("problems", "problem.created", "Problem"),
    ("cmdb", "ci.created", "ConfigurationItem"),
    ("incidents", "incident.assigned", "Incident"),
    ("identity", "team.created", "Team"),
]
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
CREATE = "mutation($t: String!) { createIncident(input: {title: $t}) { id } }"


@pytest.fixture(scope="module")
def database(server_url: str) -> Iterator[str]:
    """A database of the module's own: its consumer positions are the tests' alone."""
    yield from fresh_database(server_url, "amqp_export")


@pytest.fixture(scope="module")
async def broker() -> str:
    return await machine_broker()


@pytest.fixture(scope="module")
async def node(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RabbitNode]:
    script = server_script()
    if script is None:
        unavailable("rabbitmq-server is not installed (apt-get install rabbitmq-server)")
        raise AssertionError  # unreachable: unavailable() skips or fails
    private = RabbitNode(script, tmp_path_factory.mktemp("rabbitmq"))
    try:
        await private.start()
        yield private
    finally:
        private.stop()


class Exchange:
    """A test's own exchange on a broker and the durable queues bound to it; deleted at the
    end (on the machine's broker)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = f"opsgraph.test.{uuid.uuid4().hex[:12]}"
        self.queues: list[str] = []

    async def bind(self, binding: str = "#") -> str:
        name = f"{self.name}.{len(self.queues)}"
        async with await aio_pika.connect(self.url) as connection:
            channel = await connection.channel()
            exchange = await channel.declare_exchange(
                self.name, aio_pika.ExchangeType.TOPIC, durable=True
            )
            queue = await channel.declare_queue(name, durable=True)
            await queue.bind(exchange, binding)
        self.queues.append(name)
        return name

    async def drain(self, queue: str) -> list[AbstractIncomingMessage]:
        """Every message waiting in `queue`, in its order (taken off the queue)."""
        messages = []
        async with await aio_pika.connect(self.url) as connection:
            channel = await connection.channel()
            bound = await channel.declare_queue(queue, durable=True, passive=True)
            while (message := await bound.get(no_ack=True, fail=False)) is not None:
                messages.append(message)
        return messages

    async def wait_for(self, queue: str, count: int) -> list[AbstractIncomingMessage]:
        """The messages of `queue` once there are `count` (fails after 15 s)."""
        messages: list[AbstractIncomingMessage] = []
        for _ in range(300):
            messages += await self.drain(queue)
            if len(messages) >= count:
                return messages
            await asyncio.sleep(0.05)
        raise AssertionError(f"{len(messages)} messages of {count} arrived")

    async def delete(self) -> None:
        async with await aio_pika.connect(self.url) as connection:
            channel = await connection.channel()
            for queue in self.queues:
                await channel.queue_delete(queue)
            await channel.exchange_delete(self.name)


@pytest.fixture
async def exchange(broker: str) -> AsyncIterator[Exchange]:
    made = Exchange(broker)
    yield made
    await made.delete()


async def commit(owner: Sessions, tenants: Sequence[uuid.UUID], count: int) -> list[int]:
    """`count` events, one transaction each, cycling through KINDS and `tenants`; returns the
    seq each got (stamped here, as a relay would)."""
    for n in range(count):
        domain, kind, entity_type = KINDS[n % len(KINDS)]
        async with owner() as session, session.begin():
            record_event(
                session,
                tenant_id=tenants[n % len(tenants)],
                domain=domain,
                kind=kind,
                entity_type=entity_type,
                entity_id=uuid.uuid4(),
                payload={"n": n, "_trace": {"traceparent": TRACEPARENT}},
            )
    return await latest(owner, count)


async def latest(owner: Sessions, count: int = 0) -> list[int]:
    """The seqs of the last `count` events (after stamping every committed one)."""
    async with owner() as session, session.begin():
        while await stamp_committed(session, 1000) == 1000:
            pass
        last = (await sequence_bounds(session))[1]
    return list(range(last - count + 1, last + 1))


def seqs(messages: Sequence[AbstractIncomingMessage]) -> list[int]:
    return [int(message.message_id or 0) for message in messages]


async def test_the_server_exports_when_set_and_resumes_from_its_position(
    database: str, owner: Sessions, exchange: Exchange, tmp_path: Path
) -> None:
    """The server runs the exporter beside its relay only with OPSGRAPH_AMQP_URL set; a
    restarted server goes on from its position: what committed while it was away leaves
    then, and nothing it had published leaves again. (First in the module: the servers'
    event consumers read every retained event, and the other tests' are not a domain's.)"""
    queue = await exchange.bind("incident.created")
    async with owner() as session, session.begin():
        tenant = await create_tenant(session, f"amqp-{uuid.uuid4().hex[:8]}", "AMQP export")
    environment = {"OPSGRAPH_DEFAULT_TENANT": str(tenant), "OPSGRAPH_AMQP_EXCHANGE": exchange.name}

    async def create(served: ServedApp, title: str) -> str:
        response = await served.client.post(
            "/graphql", json={"query": CREATE, "variables": {"t": title}}
        )
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        return str(response.json()["data"]["createIncident"]["id"])

    async with serving_app(database, tmp_path, **environment) as served:  # export off
        await create(served, "Not exported")
    async with owner() as session:
        assert await positions.read_position(session, EXPORTER) is None

    on = {**environment, "OPSGRAPH_AMQP_URL": exchange.url}
    async with serving_app(database, tmp_path, **on) as served:
        first = await create(served, "Exported")
        assert [m.headers["cloudEvents:subject"] for m in await exchange.wait_for(queue, 1)] == [
            first
        ]
    async with serving_app(database, tmp_path, **environment) as served:  # off again
        waiting = await create(served, "Committed while the exporter is away")
    async with serving_app(database, tmp_path, **on) as served:
        last = await create(served, "Exported after the restart")
        messages = await exchange.wait_for(queue, 2)
        exported = export_positions(served.settings, DOMAINS)
        statuses = [s for s in await consumer_statuses(owner, exported) if s.name == EXPORTER]
    assert [m.headers["cloudEvents:subject"] for m in messages] == [waiting, last]
    assert {m.headers["cloudEvents:tenantid"] for m in messages} == {str(tenant)}
    assert await exchange.drain(queue) == []  # the first one did not leave again
    (status,) = statuses
    assert (status.name, status.declared, status.lag_events) == (EXPORTER, True, 0)
    assert status.position == status.latest_seq
    assert status_table(statuses).splitlines()[1].startswith(EXPORTER)


async def test_events_of_every_domain_leave_in_order_as_persistent_cloudevents(
    owner: Sessions, exchange: Exchange
) -> None:
    everything, incidents = await exchange.bind("#"), await exchange.bind("incident.*")
    exporter = AmqpExporter(exchange.url, owner, DOMAINS, exchange=exchange.name, name="t-order")
    await exporter.register()
    tenants = [uuid.uuid4(), uuid.uuid4()]
    committed = await commit(owner, tenants, 10)
    try:
        assert await exporter.export_pending() == 10
    finally:
        await exporter.stop()

    messages = await exchange.drain(everything)
    assert seqs(messages) == committed  # each once, in seq order
    validator = jsonschema_rs.validator_for(SCHEMA)
    for n, message in enumerate(messages):
        domain, kind, entity_type = KINDS[n % len(KINDS)]
        body = orjson.loads(message.body)
        validator.validate(body)
        assert message.routing_key == kind
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert message.content_type == CONTENT_TYPE
        assert message.type == body["type"] == f"com.opsgraph.{kind}.v1"
        assert body["id"] == message.message_id == str(committed[n])
        assert body["source"] == f"/opsgraph/{domain}"
        assert body["tenantid"] == str(tenants[n % 2])
        assert body["entitytype"] == entity_type
        assert body["data"] == {"n": n}  # the trace context is not in the body...
        headers = message.headers
        assert headers["traceparent"] == TRACEPARENT  # ...but in the headers
        # Every attribute but datacontenttype is in the headers too.
        assert {k: v for k, v in headers.items() if k.startswith("cloudEvents:")} == {
            f"cloudEvents:{name}": value
            for name, value in body.items()
            if name not in ("data", "datacontenttype")
        }
    # Topic bindings match the routing keys: only the incidents' events here.
    assert seqs(await exchange.drain(incidents)) == [
        seq for n, seq in enumerate(committed) if KINDS[n % len(KINDS)][1].startswith("incident.")
    ]


async def test_replicas_export_each_event_once(owner: Sessions, exchange: Exchange) -> None:
    """Two exporters over one position (two replicas): the row lock lets one at a time
    publish, and every event leaves once, in order."""
    queue = await exchange.bind()
    replicas = [
        AmqpExporter(
            exchange.url, owner, DOMAINS, exchange=exchange.name, name="t-replicas", batch=7
        )
        for _ in range(2)
    ]
    await replicas[0].register()
    for replica in replicas:
        replica.start()
    try:
        writers = [commit(owner, [uuid.uuid4()], 40) for _ in range(3)]
        for replica in replicas:
            writers.append(_nudge(replica, 40))
        await asyncio.gather(*writers)
        committed = await latest(owner, 120)
        messages = await exchange.wait_for(queue, 120)
    finally:
        await asyncio.gather(*(replica.stop() for replica in replicas))
    assert seqs(messages) == committed
    assert await exchange.drain(queue) == []  # nothing more came


async def _nudge(exporter: AmqpExporter, times: int) -> None:
    """Wake the exporter repeatedly while events commit (as the hub does on each event)."""
    for _ in range(times):
        exporter.wake()
        await asyncio.sleep(0.005)


async def test_a_broker_restart_loses_nothing_and_a_receiver_sees_each_event_once(
    owner: Sessions, node: RabbitNode
) -> None:
    """Events commit all along while the broker stops (gracefully, as an operator's restart)
    and starts again: a durable queue bound to the exchange ends up with every one of them,
    in order, persistent. A message the broker took but whose confirm the stopping broker
    never sent is published again under its id (AMQP cannot tell the exporter it arrived):
    a receiver skipping ids not above the last one it handled sees each event once."""
    exchange = Exchange(node.url)
    queue = await exchange.bind()
    exporter = AmqpExporter(
        node.url,
        owner,
        DOMAINS,
        exchange=exchange.name,
        name="t-restart",
        poll_interval=0.05,
        max_backoff=0.2,
        timeout=2.0,
        batch=20,
    )
    await exporter.register()
    first = (await latest(owner, 1))[0] + 1  # the first event it exports
    exporter.start()
    writing = asyncio.Event()
    writing.set()
    written = 0

    async def write() -> None:
        nonlocal written
        while writing.is_set():
            await commit(owner, [uuid.uuid4()], 1)
            written += 1
            exporter.wake()
            await asyncio.sleep(0.003)

    async def exported() -> int:
        async with owner() as session:
            position = await positions.read_position(session, "t-restart")
        assert position is not None
        return position.seq - first + 1

    async def until(condition: Callable[[], Awaitable[bool]]) -> None:
        for _ in range(600):
            if await condition():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out: {written} written, {await exported()} exported")

    async def written_since(mark: int) -> bool:
        return written >= mark + 30

    async def exported_at_least(count: int) -> bool:
        return await exported() >= count

    async def all_exported() -> bool:
        return await exported_at_least(written)

    writer = asyncio.create_task(write())
    try:
        await until(lambda: exported_at_least(30))
        await asyncio.to_thread(node.stop)  # events go on committing meanwhile
        down = written
        await until(lambda: written_since(down))
        await node.start()
        back = written
        await until(lambda: written_since(back))
        writing.clear()
        await writer
        await until(all_exported)
    finally:
        writing.clear()
        await writer
        await exporter.stop()
    committed = await latest(owner, written)
    messages = await exchange.drain(queue)
    received = seqs(messages)
    handled: list[int] = []
    for seq in received:
        if not handled or seq > handled[-1]:
            handled.append(seq)
    assert handled == committed  # none lost, in order, each once for the receiver
    assert len(received) - len(handled) <= 20  # again at most one unconfirmed batch
    assert {message.delivery_mode for message in messages} == {aio_pika.DeliveryMode.PERSISTENT}
    assert exporter.connections >= 2  # it reconnected after the restart
    async with owner() as session:
        (row,) = [p for p in await positions.positions(session) if p.name == "t-restart"]
    assert row.error_count >= 1 and row.consecutive_failures == 0  # the outage was counted


def test_the_readme_example_message_is_valid() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Message schema (version 1)") :]
    example = orjson.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    validator = jsonschema_rs.validator_for(SCHEMA)
    validator.validate(example)
    assert not validator.is_valid({**example, "type": "com.opsgraph.incident.created"})
