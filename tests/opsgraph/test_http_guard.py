"""HTTP hardening and rate limits through the real app: CSRF, body limit, security headers,
CORS allow-list, 429 with Retry-After (in-process and shared through Redis)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from joserfc.jwk import KeySet
from starlette.types import Receive, Scope, Send

from opsgraph.auth.active_users import UserState
from opsgraph.auth.keys import StaticKeys
from opsgraph.auth.principals import Authenticator
from opsgraph.auth.setup import dev_issuer
from opsgraph.auth.tokens import TokenPolicy, TokenValidator
from opsgraph.domains import REGISTRY
from opsgraph.http_guard import HttpGuardMiddleware
from opsgraph.ratelimit import InProcessLimiter, RedisLimiter
from opsgraph.redis_link import RedisLink
from opsgraph.request_scope import RequestScopeMiddleware
from tests.support import running_app

QUERY = '{"query": "{ __typename }"}'


@pytest.fixture
async def client(
    database_url: str, tmp_path: Path, tenant_id: object
) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(
        database_url,
        tmp_path,
        OPSGRAPH_DEFAULT_TENANT=str(tenant_id),
        OPSGRAPH_RATE_LIMIT_PER_SECOND="1",
        OPSGRAPH_RATE_LIMIT_BURST="3",
        OPSGRAPH_MAX_BODY_BYTES="2048",
        OPSGRAPH_CORS_ORIGINS="https://desk.example",
    ) as (client, _):
        yield client


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
async def test_simple_requests_are_refused_as_csrf(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post("/graphql", content=QUERY, headers=headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "Cross-Site Request Forgery" in response.json()["errors"][0]["message"]


async def test_a_preflight_header_lets_a_simple_request_through(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql",
        content=QUERY,
        headers={"content-type": "text/plain", "apollo-require-preflight": "true"},
    )
    # Through the guard; the router then wants JSON it can parse, which this is.
    assert response.status_code == 200


async def test_oversized_bodies_are_refused(client: httpx.AsyncClient) -> None:
    big = '{"query": "{ __typename }", "variables": {"x": "' + "a" * 4000 + '"}}'
    declared = await client.post(
        "/graphql", content=big, headers={"content-type": "application/json"}
    )
    assert declared.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as read
        for _ in range(10):
            yield b" " * 500
        yield QUERY.encode()

    streamed = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert streamed.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_content_length_int_cannot_read_is_not_a_server_error() -> None:
    """ "²" is a digit to str.isdigit and a latin-1 header can carry it; int() refuses it.
    Sent to the guard as the ASGI scope a server would hand it (HTTP clients and parsers
    refuse such a header before it gets this far)."""
    answered: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": QUERY.encode(), "more_body": False}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            answered.append(int(message["status"]))  # type: ignore[call-overload]

    guard = HttpGuardMiddleware(app, max_body_bytes=2048, max_upload_bytes=4096)
    for content_type in (b"application/json", b"multipart/form-data; boundary=x"):
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/graphql",
            "headers": [
                (b"content-type", content_type),
                (b"apollo-require-preflight", b"true"),
                (b"content-length", "²".encode("latin-1")),
            ],
        }
        await guard(scope, receive, send)
    assert answered == [204, 204]


async def test_security_headers_everywhere(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/health"),
        await client.get("/graphql", headers={"accept": "text/html"}),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_cors_allows_only_listed_origins(client: httpx.AsyncClient) -> None:
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
    }
    allowed = await client.options(
        "/graphql", headers={"origin": "https://desk.example", **preflight}
    )
    assert allowed.headers["access-control-allow-origin"] == "https://desk.example"
    refused = await client.options(
        "/graphql", headers={"origin": "https://evil.example", **preflight}
    )
    assert "access-control-allow-origin" not in refused.headers


async def test_rate_limit_answers_429_with_retry_after(client: httpx.AsyncClient) -> None:
    statuses = [
        (await client.post("/graphql", json={"query": "{ __typename }"})).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]  # burst of 3, then one per second
    limited = await client.post("/graphql", json={"query": "{ __typename }"})
    assert limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(limited.headers["retry-after"]) >= 1


async def test_in_process_buckets_refill() -> None:
    limiter = InProcessLimiter(rate=1000, burst=1)
    assert (await limiter.take("k")).allowed
    refused = await limiter.take("k")
    assert not refused.allowed and 0 < refused.retry_after <= 0.001
    assert (await limiter.take("other")).allowed  # buckets are per key


@pytest.mark.redis
async def test_redis_buckets_are_shared_between_processes(redis_url: str) -> None:
    links = [RedisLink(redis_url, timeout=1, cool_down=1) for _ in range(2)]
    one, two = (RedisLimiter(link, 0.5, 2) for link in links)
    key = f"shared-{id(one)}"
    try:
        decisions = [await one.take(key), await two.take(key), await one.take(key)]
        assert [d.allowed for d in decisions] == [True, True, False]
        assert 0 < decisions[-1].retry_after <= 2
    finally:
        for link in links:
            await link.close()


async def test_a_request_past_the_time_limit_gets_504_and_its_context_is_closed() -> None:
    closed: list[bool] = []

    class SlowContext:
        async def close(self) -> None:
            closed.append(True)

    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"]["context"] = SlowContext()
        await asyncio.sleep(5)

    async def every_user_active(tenant: uuid.UUID, user: uuid.UUID) -> UserState:
        return UserState.ACTIVE

    async def any_tenant(reference: str) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_DNS, reference)

    authenticator = Authenticator(
        TokenValidator(TokenPolicy("http://issuer", "opsgraph"), StaticKeys(KeySet([]))),
        any_tenant,
        roles=REGISTRY.roles,
        default_tenant="t",
        anonymous_role="admin",
        users=every_user_active,
    )
    app = RequestScopeMiddleware(slow_app, authenticator=authenticator, timeout_seconds=0.05)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 504
    assert response.json()["errors"][0]["extensions"]["code"] == "GATEWAY_TIMEOUT"
    assert closed == [True]  # the request's context (and its transaction) was closed


async def test_users_of_one_client_share_its_bucket(
    database_url: str, tmp_path: Path, tenant_id: uuid.UUID
) -> None:
    async with running_app(
        database_url, tmp_path, OPSGRAPH_RATE_LIMIT_PER_SECOND="1", OPSGRAPH_RATE_LIMIT_BURST="2"
    ) as (client, settings):
        issuer = dev_issuer(settings)

        def token(subject: str, application: str) -> dict[str, str]:
            minted = issuer.mint(
                {
                    "sub": subject,
                    "tenant_id": str(tenant_id),
                    "roles": ["viewer"],
                    "azp": application,
                },
                60,
            )
            return {"authorization": f"Bearer {minted}"}

        async def status(headers: dict[str, str]) -> int:
            response = await client.post(
                "/graphql", json={"query": "{ __typename }"}, headers=headers
            )
            return response.status_code

        # The buckets refill a request a second: a first request (the app's caches still
        # cold) from a client of its own keeps the three below well within that second.
        assert await status(token("dave", "partner-z")) == 200
        partner_a, partner_b = token("alice", "partner-x"), token("bob", "partner-x")
        assert [await status(partner_a), await status(partner_a)] == [200, 200]
        assert await status(partner_b) == 429  # bob's own bucket is full; the client's is empty
        assert await status(token("carol", "partner-y")) == 200  # another client
