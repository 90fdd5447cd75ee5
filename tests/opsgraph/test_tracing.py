"""Traces of the router with its subgraphs in-process, recorded by the real SDK: one trace
per request continuing the client's `traceparent`, a server span named for the operation
with its type and tenant (never its variables), children for validation, planning and
execution, a span per subgraph fetch and, under those, one per SQL statement. A mutation's
event keeps the trace context it was written in; untraced, it keeps none."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from db.engine import create_engine, session_factory
from db.event_trace import TRACE_KEY
from db.tables import events
from db.tenants import find_tenant_id
from opsgraph.seed import seed_demo
from router.telemetry import tracing
from tests.conftest import fresh_database
from tests.support import ServedApp, serving_app
from tests.telemetry import recorded_spans

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CLIENT_SPAN}-01"
SECRET = "do-not-trace-me-7431"
BOARD = """query Board($title: String) {
  incidents(filter: {search: $title}, pagination: {first: 3}) {
    edges { node { number assignee { name } team { name } } }
  }
}"""
CREATE = """mutation Open($title: String!) {
  createIncident(input: {title: $title}) { id number }
}"""


@pytest.fixture(scope="module")
def traced_database(server_url: str) -> Iterator[str]:
    yield from fresh_database(server_url, "opsgraph_tracing")


@pytest.fixture
async def served(traced_database: str, tmp_path: Path) -> AsyncIterator[tuple[ServedApp, str]]:
    async with serving_app(traced_database, tmp_path, OPSGRAPH_DEFAULT_TENANT="traced") as running:
        engine = create_engine(traced_database)
        async with session_factory(engine)() as session, session.begin():
            await seed_demo(session, slug="traced", scale=20)
            tenant_id = await find_tenant_id(session, "traced")
        await engine.dispose()
        yield running, str(tenant_id)


async def test_a_cross_subgraph_query_is_one_span_tree(served: tuple[ServedApp, str]) -> None:
    app, tenant_id = served
    with recorded_spans() as finished:
        response = await app.client.post(
            "/graphql",
            json={"query": BOARD, "variables": {"title": None}},
            headers={"traceparent": TRACEPARENT, "x-request-id": "tree-1"},
        )
        spans = finished()

    assert response.status_code == 200, response.text
    assert not response.json().get("errors"), response.text
    assert response.headers["x-request-id"] == "tree-1"
    request = spans.one("query Board")
    assert (request.trace_id, request.parent_id, request.kind) == (TRACE_ID, CLIENT_SPAN, "SERVER")
    assert request.attributes == {
        "http.request.method": "POST",
        "url.path": "/graphql",
        "opsgraph.tenant_id": tenant_id,
        "graphql.operation.type": "query",
        "graphql.operation.name": "Board",
        "http.response.status_code": 200,
    }
    stages = [span for span in spans.children(request) if "db.system" not in span.attributes]
    # Authentication and the request's transaction (BEGIN, ROLLBACK) are statements too.
    assert sorted(span.name for span in stages) == [
        "graphql.execute",
        "graphql.plan",
        "graphql.validate",
    ]
    execute = spans.one("graphql.execute")
    assert spans.child_names(execute) == ["fetch identity", "fetch incidents"]
    # Nothing else was traced meanwhile: the relay's and the hub's polls make no spans.
    assert {span.trace_id for span in spans.records} == {TRACE_ID}
    for fetch in spans.children(execute):
        statements = spans.children(fetch)
        assert statements and all(s.attributes.get("db.system") for s in statements), fetch
        assert all(s.kind == "CLIENT" for s in statements)
        assert fetch.attributes == {"opsgraph.subgraph": fetch.name.removeprefix("fetch ")}


async def test_spans_never_carry_variables(served: tuple[ServedApp, str]) -> None:
    app, _ = served
    with recorded_spans() as finished:
        response = await app.client.post(
            "/graphql", json={"query": BOARD, "variables": {"title": SECRET}}
        )
        spans = finished()

    assert response.status_code == 200, response.text
    assert len(spans.records) > 5
    for span in spans.records:
        assert SECRET not in repr(span), span


async def test_a_mutation_writes_its_trace_into_its_event(served: tuple[ServedApp, str]) -> None:
    app, _ = served
    with recorded_spans() as finished:
        response = await app.client.post(
            "/graphql",
            json={"query": CREATE, "variables": {"title": "Traced outage"}},
            headers={"traceparent": TRACEPARENT},
        )
        spans = finished()
    incident_id = uuid.UUID(response.json()["data"]["createIncident"]["id"])

    payload = await _event_payload(app, incident_id)
    parent = payload[TRACE_KEY]["traceparent"]
    _, trace_id, span_id, _ = parent.split("-")
    writer = next(span for span in spans.records if span.span_id == span_id)
    assert trace_id == TRACE_ID
    assert spans.one("mutation Open") in [writer, *spans.ancestors(writer)]


async def test_untraced_a_mutation_writes_no_trace_into_its_event(
    served: tuple[ServedApp, str],
) -> None:
    app, _ = served
    assert not tracing()
    response = await app.client.post(
        "/graphql",
        json={"query": CREATE, "variables": {"title": "Untraced outage"}},
        headers={"traceparent": TRACEPARENT},
    )
    incident_id = uuid.UUID(response.json()["data"]["createIncident"]["id"])

    assert TRACE_KEY not in await _event_payload(app, incident_id)
    assert response.headers["x-request-id"]  # a request id all the same


async def _event_payload(app: ServedApp, incident_id: uuid.UUID) -> dict[str, object]:
    engine = create_engine(app.settings.database_url or "")
    try:
        async with session_factory(engine)() as session:
            payload: dict[str, object] = await session.scalar(
                select(events.OutboxEvent.payload).where(
                    events.OutboxEvent.entity_id == incident_id
                )
            )
    finally:
        await engine.dispose()
    return payload
