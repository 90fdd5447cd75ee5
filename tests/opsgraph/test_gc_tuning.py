"""The server freezes its start-up heap, and collects its young generation by the clock."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from opsgraph.gc_tuning import CollectionPacer, tune_garbage_collector
from opsgraph.serving import _CountedRequests, _GracefulServer, _ReadinessGate


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.fixture
def no_automatic_collections() -> Iterator[None]:
    """Only the pacer collects (as under the server's distant allocation threshold)."""
    gc.disable()
    yield
    gc.enable()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_freezes_the_heap_and_keeps_the_thresholds(restored_gc: None) -> None:
    before = gc.get_threshold()
    tune_garbage_collector()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() > 0


def test_a_threshold_sets_the_young_generation_only(restored_gc: None) -> None:
    _, older, oldest = gc.get_threshold()
    tune_garbage_collector(20_000)
    assert gc.get_threshold() == (20_000, older, oldest)


def cyclic_garbage() -> weakref.ref[object]:
    """An object in a reference cycle, already unreachable: only a collection frees it."""

    class Node:
        pass

    node = Node()
    node.itself = node  # type: ignore[attr-defined]
    return weakref.ref(node)


def test_garbage_waits_for_the_interval_then_goes(no_automatic_collections: None) -> None:
    clock = Clock()
    pacer = CollectionPacer(10, clock)
    garbage = cyclic_garbage()
    clock.now += 9.9
    assert pacer.tick() is False
    assert garbage() is not None
    clock.now += 0.1
    assert pacer.tick() is True
    assert garbage() is None
    clock.now += 5
    assert pacer.tick() is False  # the interval counts from the last collection


def test_no_interval_leaves_collections_to_python(no_automatic_collections: None) -> None:
    clock = Clock()
    pacer = CollectionPacer(None, clock)
    garbage = cyclic_garbage()
    clock.now += 3600
    assert pacer.tick() is False
    assert garbage() is not None
    gc.collect()


def test_the_servers_main_loop_paces_the_collector(no_automatic_collections: None) -> None:
    clock = Clock()
    pacer = CollectionPacer(10, clock)

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("not served")

    server = _GracefulServer(uvicorn.Config(app), _ReadinessGate(app), 0, pacer)
    garbage = cyclic_garbage()
    clock.now += 10
    assert asyncio.run(server.on_tick(1)) is False  # not exiting
    assert garbage() is None


def test_a_collection_due_waits_for_the_requests_in_flight(
    no_automatic_collections: None,
) -> None:
    """Made while a request is in flight, a collection traverses everything the request
    holds (3-20 ms in a blast radius); made after it, almost nothing."""
    clock = Clock()
    pacer = CollectionPacer(10, clock)
    garbage = cyclic_garbage()
    pacer.started()
    pacer.started()
    clock.now += 10
    assert pacer.tick() is False
    assert pacer.finished() is False  # another is still in flight
    assert garbage() is not None
    assert pacer.finished() is True  # the last one
    assert garbage() is None
    pacer.started()
    assert pacer.finished() is False  # nothing due: the interval counts from then


def test_a_server_never_idle_collects_once_a_collection_has_waited_an_interval(
    no_automatic_collections: None,
) -> None:
    clock = Clock()
    pacer = CollectionPacer(10, clock)
    garbage = cyclic_garbage()
    pacer.started()
    clock.now += 19.9
    assert pacer.tick() is False
    assert garbage() is not None
    clock.now += 0.1
    assert pacer.tick() is True
    assert garbage() is None


def test_the_server_counts_its_http_requests_for_the_pacer(
    no_automatic_collections: None,
) -> None:
    """The request's app runs with the request counted; the collection due is made as it
    ends. A WebSocket connection, open for hours, is not counted."""
    clock = Clock()
    pacer = CollectionPacer(10, clock)
    seen: list[tuple[str, int]] = []

    async def app(scope: dict[str, str], receive: object, send: object) -> None:
        seen.append((scope["type"], pacer.in_flight))
        clock.now += 10
        assert pacer.tick() is (scope["type"] == "websocket")

    counted = _CountedRequests(app, pacer)
    garbage = cyclic_garbage()
    asyncio.run(counted({"type": "http"}, None, None))
    assert pacer.in_flight == 0 and garbage() is None  # collected as the request ended
    garbage = cyclic_garbage()
    asyncio.run(counted({"type": "websocket"}, None, None))
    assert garbage() is None  # the tick inside collected: nothing counted in flight
    assert seen == [("http", 1), ("websocket", 0)]


def test_a_streamed_response_stops_counting_once_it_starts_streaming(
    no_automatic_collections: None,
) -> None:
    """An SSE subscription over HTTP lasts as long as its client listens: from its first
    message on it no longer holds collections back; a plain response counts to its end."""
    clock = Clock()
    pacer = CollectionPacer(10, clock)
    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    def app_sending(content_type: bytes) -> Any:
        async def app(scope: object, receive: object, send: Any) -> None:
            assert pacer.in_flight == 1
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"Content-Type", content_type)],
                }
            )
            streaming = content_type.startswith(b"text/event-stream")
            assert pacer.in_flight == (0 if streaming else 1)
            await send({"type": "http.response.body", "body": b"{}"})

        return app

    streamed = _CountedRequests(app_sending(b"text/event-stream; charset=utf-8"), pacer)
    asyncio.run(streamed({"type": "http"}, None, send))
    assert pacer.in_flight == 0
    plain = _CountedRequests(app_sending(b"application/json"), pacer)
    asyncio.run(plain({"type": "http"}, None, send))
    assert pacer.in_flight == 0
    kinds = [message["type"] for message in sent]
    assert kinds == ["http.response.start", "http.response.body"] * 2
