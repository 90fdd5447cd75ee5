"""`GET /metrics` of real server processes on loopback ports: `opsgraph serve` (counters move
for a query, an error and a subscription; a thousand operation names stay a bounded set of
series), production with `OPSGRAPH_METRICS_PORT`, and the split deployment (each
`opsgraph subgraph` serves its own; the split router counts its HTTP fetches)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server, start_server, stop_server, subgraphs_file
from tests.e2e.ws import ws_client
from tests.opsgraph.test_metrics import PROBE, Samples, parse, value
from tests.support import free_port

REQUESTS = "opsgraph_graphql_requests_total"
# A root field of each subgraph: one fetch to each.
SPLIT_PROBE = (
    "query SplitProbe { users(pagination: {first: 1}) { totalCount } "
    "incidents(pagination: {first: 1}) { totalCount } }"
)


def scrape(url: str, **headers: str) -> Samples:
    response = httpx.get(f"{url}/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return parse(response.text)[1]


def post(server: Server, query: str) -> dict:  # type: ignore[type-arg]
    response = httpx.post(server.graphql, json={"query": query}, timeout=30)
    return response.json()  # type: ignore[no-any-return]


def test_a_query_and_an_error_move_the_counters(server: Server) -> None:
    before = scrape(server.url)

    answered = post(server, PROBE)
    failed = post(server, "query Failing { incidents(pagination: {first: 1000}) { totalCount } }")

    after = scrape(server.url)
    assert "errors" not in answered
    code = failed["errors"][0]["extensions"]["code"]
    assert code == "BAD_USER_INPUT"  # raised by the incidents subgraph, passed on
    ok = {"operation": "MetricsProbe", "type": "query", "outcome": "success"}
    assert value(after, REQUESTS, **ok) == value(before, REQUESTS, **ok) + 1
    errors = "opsgraph_graphql_errors_total"
    assert value(after, errors, code=code) == value(before, errors, code=code) + 1
    fetched = {"subgraph": "incidents", "transport": "in_process", "outcome": "ok"}
    fetches = "opsgraph_subgraph_fetches_total"
    assert value(after, fetches, **fetched) == value(before, fetches, **fetched) + 1


async def test_a_subscription_is_active_until_it_completes(server: Server) -> None:
    async with ws_client(server.graphql) as client:
        await client.subscribe("1", "subscription { incidentEvents { id } }")
        during = await eventually(server.url, "opsgraph_subscriptions_active", 1)
        await client.send({"id": "1", "type": "complete"})
        ended = await eventually(server.url, "opsgraph_subscriptions_active", 0)

    assert value(during, "opsgraph_websocket_connections") >= 1
    assert value(ended, "opsgraph_subscriptions_active") == 0


async def eventually(url: str, name: str, expected: float) -> Samples:
    for _ in range(200):
        samples = await asyncio.to_thread(scrape, url)
        if value(samples, name) == expected:
            return samples
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} never read {expected}")


def test_a_thousand_operation_names_stay_a_bounded_set_of_series(server: Server) -> None:
    with httpx.Client(timeout=30) as http:
        for n in range(1000):
            query = f"query Named{n} {{ __typename }}"
            assert http.post(server.graphql, json={"query": query}).status_code == 200

    text = httpx.get(f"{server.url}/metrics", timeout=30).text
    operations = {
        labels["operation"]
        for (name, frozen) in parse(text)[1]
        if name == REQUESTS and (labels := dict(frozen))
    }
    assert len(operations) <= 200 + 3  # the admitted names, other, anonymous, unknown
    assert "other" in operations
    assert "Named999" not in operations


@pytest.fixture(scope="module")
def production(server_env: dict[str, str], server: Server) -> Iterator[tuple[Server, str]]:
    """`opsgraph serve` in production with /metrics on a port of its own."""
    port, metrics_port = free_port(), free_port()
    env = {
        **server_env,
        "OPSGRAPH_ENV": "production",
        "OPSGRAPH_OIDC_ISSUER": server.url,
        "OPSGRAPH_METRICS_PORT": str(metrics_port),
    }
    running = start_server(["serve"], env, port)
    yield running, f"http://127.0.0.1:{metrics_port}"
    stop_server(running)


def test_production_serves_metrics_on_its_own_port_only(production: tuple[Server, str]) -> None:
    api, metrics = production

    public = httpx.get(f"{api.url}/metrics", timeout=30)
    samples = scrape(metrics)
    graphql_there = httpx.post(f"{metrics}/graphql", json={"query": "{ __typename }"})

    assert public.status_code == 404
    assert "opsgraph_" not in public.text
    assert value(samples, "opsgraph_db_pool_size") == 8  # 4 and 4 more (SMALL_POOLS)
    assert graphql_there.status_code == 404


def test_each_subgraph_process_serves_its_own_metrics(
    subgraph_servers: dict[str, Server],
) -> None:
    incidents = subgraph_servers["incidents"]
    before = scrape(incidents.url)

    answered = post(incidents, "{ incidents(pagination: {first: 2}) { totalCount } }")

    after = scrape(incidents.url)
    assert "errors" not in answered
    statements = "opsgraph_sql_statements_per_request"
    assert value(after, f"{statements}_count") == value(before, f"{statements}_count") + 1
    assert value(after, f"{statements}_sum") > value(before, f"{statements}_sum")
    assert value(after, "opsgraph_db_pool_size") == 8  # 4 and 4 more (SMALL_POOLS)
    assert value(scrape(subgraph_servers["identity"].url), "opsgraph_db_pool_size") == 8


def test_the_split_router_counts_its_fetches_over_http(
    server_env: dict[str, str], subgraph_servers: dict[str, Server], tmp_path: Path
) -> None:
    config = subgraphs_file(
        tmp_path / "subgraphs.toml",
        {name: running.graphql for name, running in subgraph_servers.items()},
    )
    port = free_port()
    router = start_server(["router", "--config", str(config)], server_env, port)
    try:
        answered = post(router, SPLIT_PROBE)
        samples = scrape(router.url)
    finally:
        stop_server(router)

    assert "errors" not in answered
    for subgraph in ("incidents", "identity"):
        fetched = {"subgraph": subgraph, "transport": "http", "outcome": "ok"}
        assert value(samples, "opsgraph_subgraph_fetches_total", **fetched) == 1
        count = "opsgraph_subgraph_fetch_duration_seconds_count"
        assert value(samples, count, subgraph=subgraph, transport="http") == 1
    ok = {"operation": "SplitProbe", "type": "query", "outcome": "success"}
    assert value(samples, REQUESTS, **ok) == 1


def test_processes_sharing_a_multiprocess_directory_expose_their_sum(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    """Several processes on one PROMETHEUS_MULTIPROC_DIR (workers behind one port): either
    one's /metrics holds both processes' counters and live gauges."""
    env = {**server_env, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    first = start_server(["serve"], env, free_port())
    try:
        second = start_server(["serve"], env, free_port())
        try:
            post(first, PROBE)
            post(second, PROBE)
            samples = scrape(second.url)
        finally:
            stop_server(second)
    finally:
        stop_server(first)

    ok = {"operation": "MetricsProbe", "type": "query", "outcome": "success"}
    assert value(samples, REQUESTS, **ok) == 2
    assert value(samples, "opsgraph_db_pool_size") == 16  # 8 each (SMALL_POOLS), both alive
