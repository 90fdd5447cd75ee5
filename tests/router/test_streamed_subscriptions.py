"""Streamed HTTP subscriptions: the multipart stream a server writes and the parts a client
reads back, the same responses as server-sent events, and HttpTransport following a
multipart subscription served by another implementation (Strawberry's)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator

import httpx
import orjson
import pytest
import strawberry
import uvicorn
from strawberry.asgi import GraphQL
from strawberry.subscriptions import MULTIPART_SUBSCRIPTION_PROTOCOL

from router.execution import (
    HttpTransport,
    SubgraphRequest,
    SubgraphResponse,
    create_http_client,
    create_stream_client,
)
from router.http_streams.multipart import accepts_multipart, boundary_of, parts
from router.http_streams.responses import MULTIPART, SSE, Framing, framing_for, streamed
from router.subscriptions import Subscriber
from tests.support import free_port


def subscriber(*bodies: dict[str, object], end: bool = True, limit: int = 10) -> Subscriber:
    fed = Subscriber(limit, lambda _: None)
    for body in bodies:
        fed.offer(orjson.dumps(body).decode())
    if end:
        fed.offer(None)
    return fed


async def read(stream: AsyncIterator[bytes], size: int = 7) -> list[dict[str, object]]:
    """The parts of `stream` as a client reads them, the bytes arriving `size` at a time."""
    body = b"".join([chunk async for chunk in stream])

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), size):
            yield body[start : start + size]

    assert body.endswith(b"--graphql--\r\n")
    return [part async for part in parts(chunks(), "graphql")]


async def test_responses_go_out_as_payload_parts_after_an_opening_heartbeat() -> None:
    first, second = {"data": {"n": 1}}, {"data": None, "errors": [{"message": "no"}]}

    received = await read(streamed(subscriber(first, second)))

    assert received == [{}, {"payload": first}, {"payload": second}]


async def test_silence_is_filled_with_heartbeats() -> None:
    fed = subscriber(end=False)
    stream = streamed(fed, heartbeat=0.01)

    opening = [await anext(stream) for _ in range(3)]
    fed.offer('{"data":{"n":1}}')
    fed.offer(None)
    rest = [chunk async for chunk in stream]

    async def chunks() -> AsyncIterator[bytes]:
        for chunk in [*opening, *rest]:
            yield chunk

    received = [part async for part in parts(chunks(), "graphql")]
    assert received[:3] == [{}, {}, {}]
    assert received[-1] == {"payload": {"data": {"n": 1}}}
    assert set(map(orjson.dumps, received[:-1])) == {b"{}"}


async def test_withdrawn_credentials_end_the_stream_with_a_transport_error() -> None:
    async def ended() -> tuple[str, str]:
        return "FORBIDDEN", "Credentials expired"

    closed: list[Subscriber] = []
    fed = Subscriber(10, closed.append)

    received = await read(streamed(fed, ended=ended()))

    error = {"message": "Credentials expired", "extensions": {"code": "FORBIDDEN"}}
    assert received == [{}, {"payload": None, "errors": [error]}]
    assert closed == [fed]


async def test_a_subscriber_that_falls_behind_is_cut_off() -> None:
    fed = subscriber({"data": {}}, {"data": {}}, end=False, limit=1)

    received = await read(streamed(fed))

    error = {
        "message": "Subscriber too slow: resume with after",
        "extensions": {"code": "SUBSCRIBER_TOO_SLOW"},
    }
    assert received == [{}, {"payload": None, "errors": [error]}]


async def test_server_sent_events_carry_the_same_responses() -> None:
    async def ended() -> tuple[str, str]:
        await asyncio.sleep(0.05)
        return "FORBIDDEN", "Credentials expired"

    fed = subscriber({"data": {"n": 1}}, end=False)

    body = b"".join([chunk async for chunk in streamed(fed, SSE, heartbeat=0.01, ended=ended())])

    events = body.decode().split("\n\n")
    assert events[0] == 'event: next\ndata: {"data":{"n":1}}'
    assert set(events[1:-3]) == {": ping"}
    assert events[-3:] == [
        'event: next\ndata: {"errors":[{"message":"Credentials expired",'
        '"extensions":{"code":"FORBIDDEN"}}]}',
        "event: complete\ndata:",
        "",
    ]


@pytest.mark.parametrize(
    "framing",
    [
        # ours and Strawberry's: the delimiter after each part
        [b"--graphql\r\ncontent-type: application/json\r\n\r\n{}\r\n--graphql", b"--\r\n"],
        # the delimiter before each part, as some servers write it
        [b"--graphql\r\ncontent-type: application/json\r\n\r\n{}\r\n", b"--graphql--\r\n"],
    ],
)
async def test_a_part_is_read_as_soon_as_it_is_whole(framing: list[bytes]) -> None:
    arriving: asyncio.Queue[bytes] = asyncio.Queue()

    async def chunks() -> AsyncIterator[bytes]:
        while True:
            yield await arriving.get()

    reader = parts(chunks(), "graphql")
    arriving.put_nowait(framing[0])
    first = await asyncio.wait_for(anext(reader), 10)  # without the next chunk
    arriving.put_nowait(framing[1])
    rest = [part async for part in reader]

    assert (first, rest) == ({}, [])


@pytest.mark.parametrize(
    ("accept", "framing"),
    [
        ('multipart/mixed;subscriptionSpec="1.0", application/json', MULTIPART),
        ("text/event-stream", SSE),
        ("text/event-stream, multipart/mixed;subscriptionSpec=1.0", MULTIPART),
        ("application/json", None),
    ],
)
def test_the_accept_header_chooses_the_framing(accept: str, framing: Framing | None) -> None:
    assert framing_for(accept) is framing


@pytest.mark.parametrize(
    ("accept", "accepted"),
    [
        ('multipart/mixed;subscriptionSpec="1.0", application/json', True),
        ("multipart/mixed; subscriptionSpec=1.0", True),
        ("application/json, multipart/mixed;subscriptionspec='1.0'", True),
        ("multipart/mixed;deferSpec=20220824, application/json", False),
        ('multipart/mixed;subscriptionSpec="2.0"', False),
        ("application/json", False),
        ("", False),
    ],
)
def test_which_accept_headers_ask_for_multipart(accept: str, accepted: bool) -> None:
    assert accepts_multipart(accept) is accepted


def test_the_boundary_comes_from_the_content_type() -> None:
    assert boundary_of('multipart/mixed;boundary="graphql";subscriptionSpec="1.0"') == "graphql"
    assert boundary_of("multipart/mixed; boundary=-") == "-"
    assert boundary_of("multipart/mixed") == "-"
    assert boundary_of("application/json") is None


@strawberry.type
class Query:
    @strawberry.field
    def ping(self) -> str:
        return "pong"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def count(self, to: int) -> AsyncGenerator[int, None]:
        for n in range(1, to + 1):
            yield n

    @strawberry.subscription
    async def endless(self) -> AsyncGenerator[int, None]:
        yield 1
        await asyncio.Event().wait()

    @strawberry.subscription
    async def broken(self) -> AsyncGenerator[int, None]:
        yield 1
        raise ValueError("the source failed")


@pytest.fixture
async def strawberry_url() -> AsyncIterator[str]:
    """A server whose multipart subscriptions are Strawberry's own implementation."""
    schema = strawberry.Schema(query=Query, subscription=Subscription)
    app = GraphQL(schema, subscription_protocols=(MULTIPART_SUBSCRIPTION_PROTOCOL,))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}/graphql"
    server.should_exit = True
    await task


async def follow(url: str, query: str) -> list[SubgraphResponse]:
    async with httpx.AsyncClient() as client:
        transport = HttpTransport(url, 10, client)
        request = SubgraphRequest(query, {"to": 3}, None)
        return [response async for response in transport.subscribe(request, None)]


async def test_the_transport_follows_another_servers_multipart_subscription(
    strawberry_url: str,
) -> None:
    responses = await follow(strawberry_url, "subscription($to: Int!) { count(to: $to) }")

    assert responses == [SubgraphResponse({"count": n}) for n in (1, 2, 3)]


async def test_errors_of_an_event_come_with_it(strawberry_url: str) -> None:
    responses = await follow(strawberry_url, "subscription { broken }")

    assert responses[0] == SubgraphResponse({"broken": 1})
    assert responses[1].data is None
    assert responses[1].errors[0]["message"] == "the source failed"


async def test_a_refused_subscription_is_its_one_response(strawberry_url: str) -> None:
    responses = await follow(strawberry_url, "subscription { missing }")

    assert len(responses) == 1
    assert responses[0].data is None
    assert "missing" in responses[0].errors[0]["message"]


async def test_open_subscriptions_leave_the_fetch_pool_to_fetches(strawberry_url: str) -> None:
    async with (
        create_http_client(max_connections=1) as client,
        create_stream_client() as streams,
    ):
        transport = HttpTransport(strawberry_url, 5, client, streams)
        following = [
            transport.subscribe(SubgraphRequest("subscription { endless }", None, None), None)
            for _ in range(2)
        ]
        first = [await anext(subscription) for subscription in following]
        fetched = await transport.fetch(SubgraphRequest("{ ping }", None, None), None)
        for subscription in following:
            await subscription.aclose()

    assert first == [SubgraphResponse({"endless": 1})] * 2
    assert fetched == SubgraphResponse({"ping": "pong"})


async def test_an_unreachable_subgraph_is_one_error() -> None:
    responses = await follow(f"http://127.0.0.1:{free_port()}/graphql", "subscription { x }")

    assert responses == [
        SubgraphResponse(
            None,
            [
                {
                    "message": "Subgraph subscription failed",
                    "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                }
            ],
        )
    ]
