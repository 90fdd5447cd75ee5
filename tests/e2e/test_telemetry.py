"""Traces and logs of real server processes: their spans exported over OTLP/HTTP to a
receiver in the test, their JSON log lines read from their stderr.

- split: the router (`opsgraph router`'s app, in this process) continues the client's
  `traceparent`, and its fetch spans are the parents of the subgraphs' server spans (their
  processes), through the `traceparent` it sends;
- a mutation's trace goes on into its event: the relay's publish and the subscription's
  delivery are spans of the trace the client started;
- every log line is JSON with the request's fields; an access line per request; a failing
  statement's stack trace is in the log and not in the response."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from opsgraph.domains import REGISTRY
from opsgraph.remote_router import SubgraphConfig, compose_remote, create_remote_app
from tests.conftest import fresh_database
from tests.e2e.conftest import TENANT, Server, issuer_of, seed_tenant, stop_server
from tests.e2e.ws import token, ws_client
from tests.support import free_port, stop_process
from tests.telemetry import OtlpReceiver, SpanRecord, Spans, recorded_spans

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CLIENT_SPAN = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{CLIENT_SPAN}-01"
BOARD = """query Board {
  incidents(pagination: {first: 3}) { edges { node { number assignee { name } } } }
}"""
CREATE = """mutation Open($title: String!) { createIncident(input: {title: $title}) { id } }"""
# Asked once only: an answer from the response cache would read no table.
FAILING = "query Failing { incidents(pagination: {first: 2}) { totalCount } }"
EVENTS = "subscription { incidentEvents { id kind incident { id title } } }"
LOG_FIELDS = {
    "time",
    "level",
    "logger",
    "event",
    "request_id",
    "trace_id",
    "span_id",
    "tenant",
    "principal_id",
    "operation_name",
}


@dataclass(frozen=True)
class TracedServer:
    server: Server
    stderr: Path
    database_url: str

    def log_lines(self) -> list[dict[str, Any]]:
        """Every line the process wrote to stderr, each parsed as JSON (failing if one is
        not)."""
        return [json.loads(line) for line in self.stderr.read_text().splitlines() if line]


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    running = OtlpReceiver()
    yield running
    running.close()


@pytest.fixture(scope="module")
def traced_env(
    server_env: dict[str, str], receiver: OtlpReceiver, server_url: str
) -> Iterator[dict[str, str]]:
    """The e2e settings over a database of its own (a test revokes a grant there), the
    processes exporting spans to `receiver` within 100 ms and logging JSON at INFO."""
    for database_url in fresh_database(server_url, "opsgraph_telemetry"):
        seed_tenant(database_url, scale=20)
        yield {
            **server_env,
            "DATABASE_URL": database_url,
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OPSGRAPH_LOG_FORMAT": "json",
            "OPSGRAPH_LOG_LEVEL": "info",
        }


def start_traced(args: list[str], env: dict[str, str], port: int, tmp: Path) -> TracedServer:
    """A server process as tests/e2e/conftest.py starts one, its stderr kept apart."""
    stdout, stderr = tmp / f"{port}.out", tmp / f"{port}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "opsgraph.cli", *args],
            env={**os.environ, **env, "OPSGRAPH_PORT": str(port)},
            stdout=out,
            stderr=err,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{stderr.read_text()}")
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return TracedServer(Server(url, process, stderr), stderr, env["DATABASE_URL"])
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop_process(process)
    raise RuntimeError("server did not become ready in 60 s")


@pytest.fixture(scope="module")
def traced(
    traced_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TracedServer]:
    """`opsgraph serve`, traced."""
    running = start_traced(["serve"], traced_env, free_port(), tmp_path_factory.mktemp("serve"))
    yield running
    stop_server(running.server)


@pytest.fixture(scope="module")
def traced_subgraphs(
    traced_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, TracedServer]]:
    """`opsgraph subgraph NAME` for every subgraph, traced."""
    tmp = tmp_path_factory.mktemp("subgraphs")
    running: dict[str, TracedServer] = {}
    try:
        for name in REGISTRY.names:
            port = free_port()
            running[name] = start_traced(
                ["subgraph", name, "--port", str(port)], traced_env, port, tmp
            )
        yield running
    finally:
        for server in running.values():
            stop_server(server.server)


def in_trace(trace_id: str, *names: str) -> Any:
    """A `wait_for` condition: spans of those names received in that trace."""

    def found(records: list[SpanRecord]) -> bool:
        received = {span.name for span in records if span.trace_id == trace_id}
        return all(name in received for name in names)

    return found


async def test_split_one_trace_runs_from_the_client_through_the_router_to_the_subgraphs(
    traced_subgraphs: dict[str, TracedServer], receiver: OtlpReceiver
) -> None:
    configs = [
        SubgraphConfig(name, running.server.graphql) for name, running in traced_subgraphs.items()
    ]
    app = create_remote_app(await compose_remote(configs), configs)
    with recorded_spans() as finished:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
                response = await client.post(
                    "/graphql", json={"query": BOARD}, headers={"traceparent": TRACEPARENT}
                )
        router = finished()
    assert not response.json().get("errors"), response.text

    # The router (this process): its server span continues the client's trace.
    request = router.one("query Board")
    assert (request.trace_id, request.parent_id) == (TRACE_ID, CLIENT_SPAN)
    fetches = {
        span.name.removeprefix("fetch "): span
        for span in router.records
        if span.name.startswith("fetch ")
    }
    assert sorted(fetches) == ["identity", "incidents"]
    assert all(request in router.ancestors(fetch) for fetch in fetches.values())

    # The subgraphs (their processes): each server span is the child of the router's fetch.
    services = {f"opsgraph-{name}" for name in fetches}
    receiver.wait_for(
        lambda records: (
            {
                span.service
                for span in records
                if span.trace_id == TRACE_ID and span.kind == "SERVER"
            }
            >= services
        )
    )
    remote = Spans([span for span in receiver.records if span.trace_id == TRACE_ID])
    for name, fetch in fetches.items():
        (served,) = [
            span
            for span in remote.records
            if span.kind == "SERVER" and span.service == f"opsgraph-{name}"
        ]
        assert served.parent_id == fetch.span_id, (name, served, fetch)
        assert served.name.startswith("query "), served
        statements = [
            span
            for span in remote.records
            if span.service == served.service and "db.system" in span.attributes
        ]
        assert statements, name
        assert all(served in remote.ancestors(span) for span in statements), name


async def test_a_mutations_trace_goes_on_into_its_events_delivery(
    traced: TracedServer, traced_env: dict[str, str], receiver: OtlpReceiver
) -> None:
    operator = token(issuer_of(traced.server, traced_env), "operator", tenant=TENANT)
    title = f"Traced {uuid.uuid4().hex[:8]}"
    async with ws_client(traced.server.graphql, token=operator) as client:
        await client.subscribe("events", EVENTS)
        await asyncio.sleep(0.5)  # the subscription is listening before the change
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.post(
                traced.server.graphql,
                json={"query": CREATE, "variables": {"title": title}},
                headers={"authorization": f"Bearer {operator}", "traceparent": TRACEPARENT},
            )
        assert not response.json().get("errors"), response.text
        while True:
            event = (await client.next_payload("events"))["data"]["incidentEvents"]
            if event["incident"]["title"] == title:
                break

    receiver.wait_for(
        in_trace(TRACE_ID, "mutation Open", "publish incident.created", "deliver incident.created")
    )
    spans = Spans([span for span in receiver.records if span.trace_id == TRACE_ID])
    request = spans.one("mutation Open")
    publish = spans.one("publish incident.created")
    deliver = spans.one("deliver incident.created")
    assert request.parent_id == CLIENT_SPAN
    assert (publish.kind, deliver.kind) == ("PRODUCER", "CONSUMER")
    # Both continue the span the event was written in, a span of the mutation's request.
    assert publish.parent_id == deliver.parent_id
    (writer,) = [span for span in spans.records if span.span_id == deliver.parent_id]
    assert request in [writer, *spans.ancestors(writer)]
    assert deliver.attributes["opsgraph.event.seq"] == int(event["id"])
    # The delivery's own reads (the incident, through the subscriber's wall) are under it.
    assert any(deliver in spans.ancestors(span) for span in spans.records)


def test_every_log_line_is_json_with_the_requests_fields(
    traced: TracedServer, traced_env: dict[str, str]
) -> None:
    operator = token(issuer_of(traced.server, traced_env), "operator", tenant=TENANT)
    response = httpx.post(
        traced.server.graphql,
        json={"query": BOARD},
        headers={
            "authorization": f"Bearer {operator}",
            "x-request-id": "log-line-1",
            "traceparent": TRACEPARENT,
        },
    )
    generated = httpx.post(traced.server.graphql, json={"query": BOARD})

    assert response.status_code == 200 and response.headers["x-request-id"] == "log-line-1"
    assert len(generated.headers["x-request-id"]) == 32  # a new one for a request without
    lines = wait_for_lines(traced, lambda line: line.get("request_id") == "log-line-1")
    assert all(line.keys() >= LOG_FIELDS for line in lines), lines
    (access,) = [line for line in lines if line.get("request_id") == "log-line-1"]
    assert access["event"] == "request" and access["logger"] == "opsgraph.access"
    assert access["level"] == "info"
    assert (access["method"], access["path"], access["status"]) == ("POST", "/graphql", 200)
    assert access["duration_ms"] > 0
    assert access["trace_id"] == TRACE_ID and len(access["span_id"]) == 16
    assert access["operation_name"] == "Board"
    assert access["principal_id"] == "wallboard-operator"
    assert uuid.UUID(access["tenant"])
    # uvicorn's own access log is off: one line per request, ours.
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]


def test_a_failures_stack_trace_is_logged_and_never_sent(traced: TracedServer) -> None:
    with revoked("SELECT ON incidents.incidents", traced.database_url):
        response = httpx.post(
            traced.server.graphql, json={"query": FAILING}, headers={"x-request-id": "fails-1"}
        )

    body = response.json()
    assert [error["extensions"]["code"] for error in body["errors"]] == ["INTERNAL_SERVER_ERROR"]
    assert body["errors"][0]["extensions"]["requestId"] == "fails-1"
    assert "Traceback" not in response.text and "asyncpg" not in response.text
    lines = wait_for_lines(
        traced, lambda line: line.get("request_id") == "fails-1" and line["level"] == "error"
    )
    (failure,) = [
        line for line in lines if line.get("request_id") == "fails-1" and line["level"] == "error"
    ]
    assert failure["exception"].startswith("Traceback (most recent call last):")
    assert "InsufficientPrivilegeError" in failure["exception"]
    assert failure["operation_name"] == "Failing"


def wait_for_lines(traced: TracedServer, found: Any, timeout: float = 15) -> list[dict[str, Any]]:
    """The process's log lines once one of them is `found` (the access line is written as
    the response completes: the client may read the response first)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = traced.log_lines()
        if any(found(line) for line in lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


@contextlib.contextmanager
def revoked(privilege: str, database_url: str) -> Iterator[None]:
    """A privilege of the requests' role withdrawn in the server's database for a block."""

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(database_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run(f"REVOKE {privilege} FROM opsgraph_app"))
    try:
        yield
    finally:
        asyncio.run(run(f"GRANT {privilege} TO opsgraph_app"))
