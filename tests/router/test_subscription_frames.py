"""A response goes to every subscriber of its execution as one frame, encoded once: the
frame itself, its sharing, the order of responses written at once or queued, and responses
that come faster than the batch interval going to each subscriber in one write."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from router.pipeline.results import SubscriptionStream
from router.planning.operation import NormalizedOperation
from router.subscriptions import Encoded, SlowSubscriber, Subscriber, Subscriptions
from router.websocket_protocol.frames import message_frame, text_frame


def parsed_all(frames: bytes) -> list[Frame]:
    """The frames as websockets' own parser reads them (as a client does: unmasked)."""
    reader = StreamReader()
    reader.feed_data(frames)
    found: list[Frame] = []
    while reader.buffer:
        parser = Frame.parse(reader.read_exact, mask=False)
        try:
            next(parser)
        except StopIteration as done:
            found.append(done.value)
        else:
            raise AssertionError("incomplete frame")
    return found


def parsed(frame: bytes) -> Frame:
    """The one frame in ``frame``."""
    [only] = parsed_all(frame)
    return only


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 200_000])
def test_a_text_frame_of_any_size_reads_back_as_its_text(size: int) -> None:
    text = ("é" * size)[: size // 2] + "x" * (size - size // 2)

    frame = parsed(text_frame(text))

    assert (frame.opcode, frame.fin, bytes(frame.data).decode()) == (Opcode.TEXT, True, text)


def test_subscribers_with_equal_ids_share_one_frame_of_a_response() -> None:
    response = Encoded('{"data":{"n":1}}')
    prefix = '{"id":"1","type":"next","payload":'

    first, second = message_frame(response, prefix), message_frame(response, prefix)
    other_id = message_frame(response, '{"id":"2","type":"next","payload":')

    assert first is second
    assert parsed(first).data == b'{"id":"1","type":"next","payload":{"data":{"n":1}}}'
    assert parsed(other_id).data == b'{"id":"2","type":"next","payload":{"data":{"n":1}}}'


def test_equal_responses_of_two_executions_share_no_frame() -> None:
    """Frames hang on the execution's response: another execution (another principal's
    permissions) never gets one of them, even for equal text."""
    prefix = '{"id":"1","type":"next","payload":'
    assert message_frame(Encoded("{}"), prefix) is not message_frame(Encoded("{}"), prefix)


async def test_responses_written_at_once_or_queued_keep_their_order() -> None:
    written: list[str] = []
    accepting = True

    def write_now(encoded: Encoded) -> bool:
        if accepting:
            written.extend(encoded.texts)
        return accepting

    subscriber = Subscriber(10, lambda _: None)
    subscriber.write_now = write_now
    subscriber.offer("1")
    accepting = False  # the client's socket is full
    subscriber.offer("2")
    accepting = True
    subscriber.offer("3")  # behind "2", which waits in the queue: queued too
    subscriber.offer(None)

    assert written == ["1"]
    assert [text async for text in subscriber] == ["2", "3"]
    subscriber.offer("4")  # the queue is empty again: written at once
    assert written == ["1", "4"]


async def test_a_subscriber_that_overflowed_gets_nothing_written_at_once() -> None:
    written: list[str] = []

    def write_now(encoded: Encoded) -> bool:
        written.extend(encoded.texts)
        return True

    subscriber = Subscriber(1, lambda _: None)
    subscriber.offer("queued")  # no transport yet
    subscriber.offer("lost")  # the queue is full: the subscriber is cut off
    subscriber.write_now = write_now
    subscriber.offer("late")

    assert written == []
    with pytest.raises(SlowSubscriber):
        await anext(subscriber)


def test_responses_handed_over_together_are_one_write_of_their_frames_in_order() -> None:
    prefix = '{"id":"1","type":"next","payload":'

    frames = parsed_all(message_frame(Encoded('{"n":1}', '{"n":2}'), prefix))

    assert [frame.data for frame in frames] == [
        b'{"id":"1","type":"next","payload":{"n":1}}',
        b'{"id":"1","type":"next","payload":{"n":2}}',
    ]


class Source:
    """Subscriptions whose responses the test sends one by one."""

    def __init__(self) -> None:
        self.responses: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    def subscribe(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: object,
    ) -> SubscriptionStream:
        return SubscriptionStream(cast(NormalizedOperation, None), self._events())

    async def _events(self) -> AsyncIterator[dict[str, Any]]:
        while (response := await self.responses.get()) is not None:
            yield response


async def test_responses_faster_than_the_batch_interval_go_in_one_write_each() -> None:
    source = Source()
    subscriptions = Subscriptions(source, batch_interval=0.2)
    writes: list[tuple[str, ...]] = []

    def write_now(encoded: Encoded) -> bool:
        writes.append(encoded.texts)
        return True

    subscriber = subscriptions.subscribe("subscription { s }", None, None, object())
    subscriber.write_now = write_now
    for n in range(1, 5):
        source.responses.put_nowait({"n": n})
    await asyncio.sleep(0.05)
    assert writes == [('{"n":1}',)]  # the first after a quiet interval: at once

    await asyncio.sleep(0.25)
    assert writes == [('{"n":1}',), ('{"n":2}', '{"n":3}', '{"n":4}')]  # one write, in order

    await asyncio.sleep(0.25)
    source.responses.put_nowait({"n": 5})
    await asyncio.sleep(0.05)
    assert writes[-1] == ('{"n":5}',)  # quiet again: at once
    source.responses.put_nowait(None)


async def test_held_responses_go_out_before_the_end() -> None:
    source = Source()
    subscriptions = Subscriptions(source, batch_interval=10.0)
    subscriber = subscriptions.subscribe("subscription { s }", None, None, object())
    for response in ({"n": 1}, {"n": 2}, None):
        source.responses.put_nowait(response)

    async with asyncio.timeout(1):  # not after the interval: the end hands them over
        assert [text async for text in subscriber] == ['{"n":1}', '{"n":2}']
