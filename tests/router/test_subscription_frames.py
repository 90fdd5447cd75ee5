"""A response goes to every subscriber of its execution as one frame, encoded once: the
frame itself, its sharing, and the order of responses written at once or queued."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from router.subscriptions import Encoded, SlowSubscriber, Subscriber
from router.websocket_protocol.frames import message_frame, text_frame


def parsed(frame: bytes) -> Frame:
    """The frame as websockets' own parser reads it (as a client does: unmasked)."""
    reader = StreamReader()
    reader.feed_data(frame)
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        assert not reader.buffer  # nothing left over
        return done.value  # type: ignore[no-any-return]
    raise AssertionError("incomplete frame")


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 200_000])
def test_a_text_frame_of_any_size_reads_back_as_its_text(size: int) -> None:
    text = ("é" * size)[: size // 2] + "x" * (size - size // 2)

    frame = parsed(text_frame(text))

    assert (frame.opcode, frame.fin, frame.data.decode()) == (Opcode.TEXT, True, text)


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
            written.append(encoded.text)
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
        written.append(encoded.text)
        return True

    subscriber = Subscriber(1, lambda _: None)
    subscriber.offer("queued")  # no transport yet
    subscriber.offer("lost")  # the queue is full: the subscriber is cut off
    subscriber.write_now = write_now
    subscriber.offer("late")

    assert written == []
    with pytest.raises(SlowSubscriber):
        await anext(subscriber)
