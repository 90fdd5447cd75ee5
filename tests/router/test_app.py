"""The ASGI app: status codes, error codes, GET rules, GraphiQL, health and readiness."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from router.app import create_router_app
from router.composition import Supergraph
from router.execution import SubgraphRequest, SubgraphResponse, Transport
from router.gateway import Gateway
from tests.router.fixture_subgraphs import BrokenTransport, CountingTransport, RequestContext


async def context_factory(request: Request) -> object:
    return RequestContext(headers=dict(request.headers))


async def not_ready() -> None:
    raise RuntimeError("database unreachable")


AppFactory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def make_client(gateway: Gateway) -> AsyncIterator[AppFactory]:
    clients: list[httpx.AsyncClient] = []

    async def make(app_gateway: Gateway | None = None, **options: Any) -> httpx.AsyncClient:
        options.setdefault("context_factory", context_factory)
        app: Starlette = create_router_app(app_gateway or gateway, **options)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def client(make_client: AppFactory) -> httpx.AsyncClient:
    return await make_client()


def only_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert "data" not in body
    assert len(body["errors"]) == 1
    return body["errors"][0]


async def test_post_query_answers_200_json(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ me { name } }"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"data": {"me": {"name": "Ada"}}}


async def test_graphql_response_json_is_used_when_asked_first(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ me { name } }"},
        headers={"accept": "application/graphql-response+json, application/json;q=0.9"},
    )

    assert response.headers["content-type"] == "application/graphql-response+json"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "The request body is not valid JSON"),
        (b'["query"]', "The request body must be a JSON object"),
        (b'{"variables": {}}', "The request has no query"),
        (b'{"query": 42}', "The query must be a string"),
        (b'{"query": "{ me { name } }", "variables": [1]}', "Variables must be a JSON object"),
        (b'{"query": "{ me { name } }", "operationName": 7}', "operationName must be a string"),
    ],
)
async def test_malformed_requests_are_400_bad_request(
    client: httpx.AsyncClient, content: bytes, message: str
) -> None:
    response = await client.post(
        "/graphql", content=content, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert only_error(response) == {"message": message, "extensions": {"code": "BAD_REQUEST"}}


async def test_parse_error_is_400_graphql_parse_failed(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ me { name "})

    assert response.status_code == 400
    assert only_error(response) == {
        "message": "Syntax Error: Expected Name, found <EOF>.",
        "locations": [{"line": 1, "column": 13}],
        "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
    }


async def test_unknown_field_is_400_graphql_validation_failed(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ me { nmae } }"})

    assert response.status_code == 400
    assert only_error(response) == {
        "message": "Cannot query field 'nmae' on type 'User'. Did you mean 'name'?",
        "locations": [{"line": 1, "column": 8}],
        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
    }


async def test_federation_fields_are_not_part_of_the_api(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ _service { sdl } }"})

    assert response.status_code == 400
    assert only_error(response)["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {},
            "Variable '$id' has invalid value: Expected a value of non-null type 'ID!' "
            "to be provided.",
        ),
        (
            {"id": {"no": "object"}},
            "Variable '$id' has invalid value: ID cannot represent value: {'no': 'object'}",
        ),
    ],
)
async def test_variable_coercion_errors_are_400_bad_user_input(
    client: httpx.AsyncClient, variables: dict[str, Any], message: str
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "query ($id: ID!) { review(id: $id) { body } }", "variables": variables},
    )

    assert response.status_code == 400
    error = only_error(response)
    assert error["message"] == message
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}


@pytest.mark.parametrize(
    ("operation_name", "message"),
    [
        ("Missing", 'Unknown operation named "Missing".'),
        (None, "Must provide operation name if query contains multiple operations."),
    ],
)
async def test_operation_selection_errors_are_400_bad_request(
    client: httpx.AsyncClient, operation_name: str | None, message: str
) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": "query A { me { name } } query B { users { name } }",
            "operationName": operation_name,
        },
    )

    assert response.status_code == 400
    assert only_error(response) == {"message": message, "extensions": {"code": "BAD_REQUEST"}}


async def test_named_operation_is_selected(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "query A { me { name } } query B { viewerToken }", "operationName": "B"},
        headers={"authorization": "Bearer abc"},
    )

    assert response.json() == {"data": {"viewerToken": "Bearer abc"}}


async def test_a_subscription_over_http_is_400_pointing_at_the_websocket(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", json={"query": "subscription { reviewAdded { body } }"}
    )

    assert response.status_code == 400
    assert only_error(response) == {
        "message": "Subscriptions are served over WebSocket (graphql-transport-ws) on this "
        "path, not as plain HTTP requests",
        "extensions": {"code": "BAD_REQUEST"},
    }


async def test_get_runs_queries(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={
            "query": "query Q($first: Int) { topProducts(first: $first) { name } }",
            "variables": '{"first": 1}',
            "operationName": "Q",
        },
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"topProducts": [{"name": "Keyboard"}]}}


async def test_get_mutation_is_405_with_allow_post(
    client: httpx.AsyncClient, transports: dict[str, CountingTransport]
) -> None:
    response = await client.get(
        "/graphql", params={"query": 'mutation { renameUser(id: "u1", name: "X") { name } }'}
    )

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert only_error(response)["extensions"] == {"code": "BAD_REQUEST"}
    assert transports["accounts"].requests == []


async def test_get_with_bad_variables_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ me { name } }", "variables": "{"})

    assert response.status_code == 400
    assert only_error(response) == {
        "message": "The variables parameter is not valid JSON",
        "extensions": {"code": "BAD_REQUEST"},
    }


async def test_browser_get_without_query_serves_graphiql(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html,application/xhtml+xml"})
    script = await client.get("/static/graphiql/opsgraph-graphiql.js")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/static/graphiql/graphiql.min.js" in page.text
    assert script.status_code == 200


async def test_graphiql_can_be_switched_off(make_client: AppFactory) -> None:
    client = await make_client(graphiql=False)

    response = await client.get("/graphql", headers={"accept": "text/html"})

    assert response.status_code == 400
    assert only_error(response)["message"] == "The request has no query"


async def test_failing_subgraph_is_200_with_partial_data(
    make_client: AppFactory, supergraph: Supergraph, transports: dict[str, CountingTransport]
) -> None:
    routed: dict[str, Transport] = {**transports, "accounts": BrokenTransport()}
    client = await make_client(Gateway(supergraph, routed))

    response = await client.post(
        "/graphql", json={"query": "{ viewerToken topProducts(first: 1) { name } }"}
    )

    assert response.status_code == 200
    assert response.json()["data"] == {"viewerToken": None, "topProducts": [{"name": "Keyboard"}]}
    assert response.json()["errors"][0]["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "serviceName": "accounts",
    }


async def broken_context(request: Request) -> object:
    raise RuntimeError("secret detail")


async def test_router_bug_is_500_without_stack_trace(
    make_client: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(context_factory=broken_context)

    response = await client.post("/graphql", json={"query": "{ me { name } }"})

    assert response.status_code == 500
    assert response.json() == {
        "errors": [
            {"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
        ]
    }
    assert "secret detail" in caplog.text


async def test_router_bug_shows_stack_trace_in_debug(make_client: AppFactory) -> None:
    client = await make_client(context_factory=broken_context, debug=True)

    response = await client.post("/graphql", json={"query": "{ me { name } }"})

    stacktrace = response.json()["errors"][0]["extensions"]["exception"]["stacktrace"]
    assert response.status_code == 500
    assert "RuntimeError: secret detail" in "".join(stacktrace)


async def test_health_is_always_ok(make_client: AppFactory) -> None:
    client = await make_client(readiness=not_ready)

    response = await client.get("/health")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_ready_when_readiness_passes(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")

    assert (response.status_code, response.json()) == (200, {"status": "ready"})


async def test_not_ready_is_503_with_reason(make_client: AppFactory) -> None:
    client = await make_client(readiness=not_ready)

    response = await client.get("/ready")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database unreachable"}


class UnavailableTransport:
    """A subgraph whose database is down: it answers SERVICE_UNAVAILABLE, as ours do."""

    async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
        error = {"message": "The database is unavailable", "path": ["viewerToken"]}
        error["extensions"] = {"code": "SERVICE_UNAVAILABLE"}
        return SubgraphResponse(data=None, errors=[error])


async def test_a_subgraph_that_is_only_unavailable_makes_a_503(
    make_client: AppFactory, supergraph: Supergraph, transports: dict[str, CountingTransport]
) -> None:
    routed: dict[str, Transport] = {**transports, "accounts": UnavailableTransport()}
    client = await make_client(Gateway(supergraph, routed))

    response = await client.post("/graphql", json={"query": "{ viewerToken }"})

    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.json()["data"] == {"viewerToken": None}
    assert response.json()["errors"][0]["extensions"] == {
        "code": "SERVICE_UNAVAILABLE",
        "serviceName": "accounts",
    }


async def test_unavailable_beside_data_is_200_with_partial_data(
    make_client: AppFactory, supergraph: Supergraph, transports: dict[str, CountingTransport]
) -> None:
    routed: dict[str, Transport] = {**transports, "accounts": UnavailableTransport()}
    client = await make_client(Gateway(supergraph, routed))

    response = await client.post(
        "/graphql", json={"query": "{ viewerToken topProducts(first: 1) { name } }"}
    )

    assert response.status_code == 200
    assert "retry-after" not in response.headers
    assert response.json()["data"]["topProducts"] == [{"name": "Keyboard"}]


async def test_an_exception_the_application_calls_unavailable_is_503(
    make_client: AppFactory,
) -> None:
    async def lost_database(request: Request) -> object:
        raise ConnectionRefusedError("database is down")

    client = await make_client(
        context_factory=lost_database,
        unavailable=lambda error: isinstance(error, ConnectionRefusedError),
    )

    response = await client.post("/graphql", json={"query": "{ me { name } }"})

    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert only_error(response)["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
