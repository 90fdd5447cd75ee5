"""An event consumer's handling is a span in the trace of the change that wrote the event,
with the handler's statements below it; the runner's own polling makes no spans."""

from __future__ import annotations

import asyncio
import uuid

from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_instrumentation

from db.tenants import create_tenant
from opsgraph.events.consumers import ConsumerRunner
from tests.events.consumer_support import Sessions, add_events, bookmark_consumer, titles
from tests.telemetry import recorded_spans

DATABASE_PREFIX = "opsgraph_consumer_traces"


async def test_a_consumers_handling_continues_the_writers_trace(
    owner: Sessions, app: Sessions
) -> None:
    async with owner() as session, session.begin():
        tenant_id = await create_tenant(session, f"t-{uuid.uuid4().hex[:10]}", "Traced")
    source = f"traced{uuid.uuid4().hex[:8]}"
    runner = ConsumerRunner(bookmark_consumer(source), owner, app, poll_interval=0.05)
    await runner.register()  # from the latest event on: the one written below

    with recorded_spans() as finished:
        with trace.get_tracer("test").start_as_current_span("change"):
            await add_events(owner, tenant_id, [7], source)
        runner.start()
        try:
            # The test's own polls are not traced either.
            with suppress_instrumentation():
                async with asyncio.timeout(20):
                    while await titles(owner, tenant_id) != ["7"]:
                        await asyncio.sleep(0.05)
        finally:
            await runner.stop()
        spans = finished()

    change = spans.one("change")
    consume = spans.one("consume probe.pinged")
    assert consume.parent_id == change.span_id and consume.kind == "CONSUMER"
    assert consume.attributes == {
        "opsgraph.consumer": runner.name,
        "opsgraph.event.seq": consume.attributes["opsgraph.event.seq"],
        "opsgraph.event.kind": "probe.pinged",
    }
    handled = [span for span in spans.records if consume in spans.ancestors(span)]
    assert any(span.name == "INSERT" for span in handled), handled
    # The runner's rounds (stamping, reading positions, polling) are traced nowhere.
    assert {span.trace_id for span in spans.records} == {change.trace_id}
