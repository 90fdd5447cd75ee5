"""`GET /metrics` of the in-process app: it parses with Prometheus' own text parser, its
counters move for a query, an error, a subgraph fetch, a response-cache and an APQ lookup,
its gauges for a subscription; who may read it. The real app over Starlette's test client,
on the run's PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import re
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from db.engine import create_engine, session_factory
from opsgraph.metrics.labels import OperationLabels
from opsgraph.runtime import Runtime
from opsgraph.seed import seed_demo
from opsgraph.server import create_app
from opsgraph.settings import load_settings

TOKEN = "metrics-token-" + "x" * 32
PROBE = (
    # Assigned ones: an incident nobody works on has no assignee, and no identity fetch.
    "query MetricsProbe { incidents(filter: {unassigned: false}, pagination: {first: 3}) "
    "{ edges { node { number assignee { name } } } } }"
)
SUBSCRIPTION = "subscription { incidentEvents { id } }"

# Every family the README lists (histograms by their name without a suffix).
FAMILIES = {
    "opsgraph_graphql_requests",
    "opsgraph_graphql_request_duration_seconds",
    "opsgraph_graphql_errors",
    "opsgraph_subgraph_fetches",
    "opsgraph_subgraph_fetch_duration_seconds",
    "opsgraph_sql_statements_per_request",
    "opsgraph_response_cache_lookups",
    "opsgraph_apq_lookups",
    "opsgraph_db_pool_size",
    "opsgraph_db_pool_open",
    "opsgraph_db_pool_in_use",
    "opsgraph_db_pool_waiting",
    "opsgraph_websocket_connections",
    "opsgraph_subscriptions_active",
    "opsgraph_subscription_executions",
    "opsgraph_outbox_backlog",
    "opsgraph_outbox_relay_lag_seconds",
    "opsgraph_event_consumer_lag_events",
    "opsgraph_event_consumer_lag_seconds",
    "opsgraph_event_consumer_consecutive_failures",
    "opsgraph_amqp_messages_published",
    "opsgraph_amqp_publish_failures",
}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> tuple[set[str], Samples]:
    """The family names and every sample (name, labels) → value of an exposition."""
    families = list(text_string_to_metric_families(text))
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in families
        for sample in family.samples
    }
    return {family.name for family in families}, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def seed(database_url: str, slug: str) -> None:
    async def run() -> None:
        engine = create_engine(database_url)
        async with session_factory(engine)() as session, session.begin():
            # 20 incidents: the demo leaves an OPEN one unassigned (30 % of them); of 3, all
            # were OPEN once in a full run and the probe had no assignee to fetch.
            await seed_demo(session, slug=slug, scale=20)
        await engine.dispose()

    asyncio.run(run())


@pytest.fixture(scope="module")
def tenant(database_url: str) -> str:
    slug = f"metrics-{uuid.uuid4().hex[:8]}"
    seed(database_url, slug)
    return slug


def served(database_url: str, data_dir: Path, tenant: str, **env: str) -> TestClient:
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "OPSGRAPH_DATA_DIR": str(data_dir),
            "OPSGRAPH_DEFAULT_TENANT": tenant,
            "OPSGRAPH_RATE_LIMIT_PER_SECOND": "0",
            **env,
        },
        Path("/nonexistent/.env"),
    )
    runtime = Runtime(settings)
    runtime.prepare()
    return TestClient(create_app(runtime))


@pytest.fixture(scope="module")
def client(
    database_url: str, tenant: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    with served(database_url, tmp_path_factory.mktemp("metrics"), tenant) as client:
        yield client


def scrape(client: TestClient, **headers: str) -> Samples:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)[1]


def test_every_listed_family_is_exposed_and_parses(client: TestClient) -> None:
    families, samples = parse(client.get("/metrics").text)

    assert families >= FAMILIES
    assert value(samples, "opsgraph_db_pool_size") == 15  # pool size 10 + overflow 5
    assert value(samples, "opsgraph_outbox_backlog") >= 0
    assert value(samples, "opsgraph_outbox_relay_lag_seconds") >= 0


def test_a_query_moves_requests_latency_fetches_and_statements(client: TestClient) -> None:
    before = scrape(client)

    response = client.post("/graphql", json={"query": PROBE})

    after = scrape(client)
    assert response.status_code == 200 and "errors" not in response.json()
    edges = response.json()["data"]["incidents"]["edges"]
    assert len(edges) == 3 and all(edge["node"]["assignee"] for edge in edges)
    requests = {"operation": "MetricsProbe", "type": "query", "outcome": "success"}
    latency = {"operation": "MetricsProbe", "type": "query"}
    count = "opsgraph_graphql_request_duration_seconds_count"
    assert value(after, "opsgraph_graphql_requests_total", **requests) == (
        value(before, "opsgraph_graphql_requests_total", **requests) + 1
    )
    assert value(after, count, **latency) == value(before, count, **latency) + 1
    for subgraph in ("incidents", "identity"):  # the page, then its assignees' _entities
        fetched = {"subgraph": subgraph, "transport": "in_process", "outcome": "ok"}
        name = "opsgraph_subgraph_fetches_total"
        assert value(after, name, **fetched) == value(before, name, **fetched) + 1
    # Two requests ended between the scrapes: the probe and the first scrape itself is not
    # a GraphQL request, so exactly one count, with the page's statements.
    statements = "opsgraph_sql_statements_per_request"
    assert value(after, f"{statements}_count") == value(before, f"{statements}_count") + 1
    assert value(after, f"{statements}_sum") - value(before, f"{statements}_sum") >= 2


def test_errors_count_by_code(client: TestClient) -> None:
    before = scrape(client)

    response = client.post("/graphql", json={"query": "query Broken { noSuchField }"})
    refused = client.post(
        "/graphql", json={"query": PROBE}, headers={"authorization": "Bearer not-a-token"}
    )
    unreadable = client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )

    after = scrape(client)
    code = response.json()["errors"][0]["extensions"]["code"]
    assert code == "GRAPHQL_VALIDATION_FAILED"
    assert refused.status_code == 401
    assert unreadable.status_code == 400
    for expected in (code, "UNAUTHENTICATED", "BAD_REQUEST"):
        errors = {"code": expected}
        assert value(after, "opsgraph_graphql_errors_total", **errors) == (
            value(before, "opsgraph_graphql_errors_total", **errors) + 1
        )
    unknown = {"operation": "unknown", "type": "unknown", "outcome": "refused"}
    assert value(after, "opsgraph_graphql_requests_total", **unknown) == (
        value(before, "opsgraph_graphql_requests_total", **unknown) + 3
    )


def test_response_cache_and_apq_hits_and_misses(client: TestClient) -> None:
    query = "query CachedClasses { ciClasses { name } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    apq = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    before = scrape(client)

    missed = client.post("/graphql", json={"extensions": apq})
    registered = client.post("/graphql", json={"query": query, "extensions": apq})
    found = client.post("/graphql", json={"extensions": apq})

    after = scrape(client)
    assert missed.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert registered.json() == found.json()
    assert "errors" not in found.json()
    for name, result, moved in [
        ("opsgraph_apq_lookups_total", "miss", 1),
        ("opsgraph_apq_lookups_total", "hit", 1),
        # The registration missed the cache and filled it; the hash alone then hit it.
        ("opsgraph_response_cache_lookups_total", "miss", 1),
        ("opsgraph_response_cache_lookups_total", "hit", 1),
    ]:
        assert value(after, name, result=result) == value(before, name, result=result) + moved


def test_a_subscription_is_active_while_it_runs(client: TestClient) -> None:
    before = scrape(client)
    assert value(before, "opsgraph_subscriptions_active") == 0
    assert value(before, "opsgraph_websocket_connections") == 0

    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_text(orjson.dumps({"type": "connection_init", "payload": {}}).decode())
        assert orjson.loads(ws.receive_text())["type"] == "connection_ack"
        payload = {"query": SUBSCRIPTION}
        ws.send_text(orjson.dumps({"id": "1", "type": "subscribe", "payload": payload}).decode())
        during = eventually(client, "opsgraph_subscriptions_active", 1)
        ws.send_text(orjson.dumps({"id": "1", "type": "complete"}).decode())
        ended = eventually(client, "opsgraph_subscriptions_active", 0)

    assert value(during, "opsgraph_websocket_connections") == 1
    assert value(during, "opsgraph_subscription_executions") == 1
    assert value(ended, "opsgraph_subscription_executions") == 0
    eventually(client, "opsgraph_websocket_connections", 0)  # the socket closed


def eventually(client: TestClient, name: str, expected: float) -> Samples:
    """The first scrape (within ten seconds) where gauge ``name`` reads ``expected``."""
    for _ in range(200):
        samples = scrape(client)
        if value(samples, name) == expected:
            return samples
        time.sleep(0.05)
    raise AssertionError(f"{name} never read {expected}")


def test_operation_labels_are_bounded() -> None:
    labels = OperationLabels(limit=200)

    seen = {labels(f"Operation{n}", selected=True) for n in range(1000)}

    assert len(seen) == 201  # the first 200 names, then "other"
    assert "other" in seen and "Operation0" in seen and "Operation999" not in seen
    assert labels(None, selected=True) == "anonymous"
    assert labels("Operation5", selected=False) == "unknown"
    assert labels("not a name!", selected=True) == "other"


@pytest.mark.parametrize(
    ("env", "headers", "status"),
    [
        ({"OPSGRAPH_METRICS_TOKEN": TOKEN}, {}, 401),
        ({"OPSGRAPH_METRICS_TOKEN": TOKEN}, {"authorization": f"Bearer {TOKEN}x"}, 401),
        ({"OPSGRAPH_METRICS_TOKEN": TOKEN}, {"authorization": f"Bearer {TOKEN}"}, 200),
        ({"OPSGRAPH_ENV": "production"}, {}, 404),
        ({"OPSGRAPH_ENV": "production", "OPSGRAPH_METRICS_TOKEN": TOKEN}, {}, 401),
        (
            {"OPSGRAPH_ENV": "production", "OPSGRAPH_METRICS_TOKEN": TOKEN},
            {"authorization": f"Bearer {TOKEN}"},
            200,
        ),
    ],
)
def test_who_may_read_metrics_on_the_api_port(
    database_url: str,
    tenant: str,
    tmp_path: Path,
    env: dict[str, str],
    headers: dict[str, str],
    status: int,
) -> None:
    with served(database_url, tmp_path, tenant, **env) as client:
        response = client.get("/metrics", headers=headers)

    assert response.status_code == status
    if status == 200:
        assert "opsgraph_graphql_requests" in parse(response.text)[0]
    else:
        assert "opsgraph_" not in response.text


DASHBOARD = Path(__file__).parents[2] / "deploy" / "grafana" / "opsgraph.json"
METRIC_NAME = re.compile(r"\bopsgraph_[a-z_]+")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def exposed_names(text: str) -> set[str]:
    """Every series name an exposition declares (its TYPE lines: a labelled metric with no
    child yet has no sample, but its names are known)."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(" ", 3)
            family = family.removesuffix("_total")  # a counter's TYPE line may name it
            names.update(f"{family}{suffix}" for suffix in SUFFIXES.get(kind, ("",)))
    return names


def test_the_dashboard_names_only_exposed_metrics(client: TestClient) -> None:
    client.post("/graphql", json={"query": PROBE})
    exposed = exposed_names(client.get("/metrics").text)
    dashboard = orjson.loads(DASHBOARD.read_bytes())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]

    used = {name for expr in expressions for name in METRIC_NAME.findall(expr)}

    assert len(expressions) >= len(dashboard["panels"]) >= 10
    assert used - exposed == set()
    # Every family the README lists is on the dashboard.
    assert {re.sub(r"_(total|bucket|sum|count)$", "", name) for name in used} >= FAMILIES


def test_a_metrics_port_already_taken_stops_the_start(
    database_url: str, tenant: str, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        client = served(database_url, tmp_path, tenant, OPSGRAPH_METRICS_PORT=str(port))

        with pytest.raises(OSError, match=f"metrics: cannot listen on port {port}"):
            client.__enter__()
