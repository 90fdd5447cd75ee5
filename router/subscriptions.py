"""Identical subscriptions share one execution.

A NOC runs the same wallboard on many screens: the same operation, the same variables, the
same principal. Executing it once per event and handing the response to every subscriber
keeps the cost of an event independent of the number of screens. Subscriptions share only
when the application says their contexts are equivalent (``sharing_key``) and when none of
them resumes from a position of its own (an argument named in ``resume_arguments`` with a
value): a resuming subscriber first needs events the others have already had.

Each response is encoded to JSON once for all the subscribers it goes to (an
:class:`Encoded`), and what a transport makes of it (a WebSocket frame for a given message
id) is made once too. A subscriber whose transport can write at once (``write_now``) gets
each response written in the execution's own loop over its subscribers: one event loop
iteration sends an event to every such subscriber, without a task wake-up for each. Otherwise
(or while that transport is busy) responses wait in the subscriber's bounded queue; one that
falls behind by more than ``queue_limit`` responses is cut off (``SlowSubscriber``) instead
of buffering without bound.

With a thousand subscribers the cost of an event is mostly the kernel's: one socket write
per subscriber. So an execution hands its subscribers responses at most once per
``batch_interval``: the first response after a quiet interval goes at once, and those that
come faster wait for the interval's end and go together, one write per subscriber for all
of them. Under a burst or a backlog the writes per event fall, which is what lets one
process keep up; at a steady rate below one per interval nothing waits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Collection, Hashable, Mapping
from typing import Any, Protocol, runtime_checkable

import orjson
from graphql import ValueNode, VariableNode

from router.pipeline.results import SubscriptionStream
from router.planning import document_hash
from router.planning.operation import NormalizedOperation

logger = logging.getLogger(__name__)
Body = dict[str, Any]
_END = None
FAILED = orjson.dumps(
    {
        "errors": [
            {"message": "Subscription failed", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
        ],
        "data": None,
    }
).decode()


@runtime_checkable
class Shareable(Protocol):
    """A context whose subscriptions may share an execution with equal-keyed contexts."""

    @property
    def sharing_key(self) -> Hashable:
        """Equal for contexts that see exactly the same data (tenant, user, permissions)."""
        ...


class SubscriptionSource(Protocol):
    """What starts subscriptions: the router's Gateway, or a stand-alone subgraph's schema."""

    def subscribe(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: object,
    ) -> SubscriptionStream:
        """The operation's responses, one per event; RequestError when it is refused."""
        ...


class SlowSubscriber(Exception):
    """The subscriber did not take its responses as fast as they came."""


class Encoded:
    """Responses encoded as JSON once, in order (one, or those handed over together), and
    what transports derive from them (keyed by what they derive, e.g. the WebSocket frames
    for a message prefix), derived once for every subscriber they go to."""

    __slots__ = ("derived", "texts")

    def __init__(self, *texts: str) -> None:
        self.texts = texts
        self.derived: dict[Hashable, Any] = {}


WriteNow = Callable[[Encoded], bool]
"""Write responses to the subscriber's client at once; False (nothing written) when its
transport cannot take them without waiting."""


class Subscriber:
    """One client subscription: an async iterator of response bodies, encoded as JSON, or a
    transport's ``write_now`` that takes them as they come, in order, while it can."""

    __slots__ = ("_direct", "_on_close", "_queue", "_write_now", "overflowed")

    def __init__(self, limit: int, on_close: Callable[[Subscriber], None]) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue(limit)
        self._on_close = on_close
        self.overflowed = False
        self._write_now: WriteNow | None = None
        # Whether a response may go to ``write_now`` at once: there is one, nothing waits in
        # the queue before it (the order stays the events') and the queue never overflowed.
        # Kept up to date where those change, so an event's loop over a thousand
        # subscribers tests one flag each.
        self._direct = False

    @property
    def write_now(self) -> WriteNow | None:
        return self._write_now

    @write_now.setter
    def write_now(self, write_now: WriteNow | None) -> None:
        self._write_now = write_now
        self._direct = write_now is not None and not self.overflowed and self._queue.empty()

    def offer(self, body: Encoded | str | None) -> None:
        if isinstance(body, str):
            body = Encoded(body)
        write_now = self._write_now
        if self._direct and body is not _END and write_now is not None and write_now(body):
            return
        self._direct = False
        try:
            if body is _END:
                self._queue.put_nowait(_END)
            else:
                for text in body.texts:
                    self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self.overflowed = True

    def __aiter__(self) -> Subscriber:
        return self

    async def __anext__(self) -> str:
        if self.overflowed:
            raise SlowSubscriber
        body = await self._queue.get()
        if self._queue.empty() and self._write_now is not None and not self.overflowed:
            # Sent by the caller before it asks for the next: one arriving meanwhile finds
            # the transport busy with this one, and waits in the queue behind it.
            self._direct = True
        if body is _END:
            raise StopAsyncIteration
        return body

    def close(self) -> None:
        self._on_close(self)


class _Execution:
    """One running subscription execution and the subscribers it feeds."""

    def __init__(
        self, events: AsyncIterator[Body], forget: Callable[[], None], batch_interval: float
    ) -> None:
        self.subscribers: set[Subscriber] = set()
        self._forget = forget
        self._batch_interval = batch_interval
        self._held: list[str] = []  # responses waiting for the batch interval's end
        self._handed_at = -batch_interval  # loop time of the last hand-over
        self._hand_over: asyncio.TimerHandle | None = None
        self._task = asyncio.create_task(self._run(events), name="subscription")

    async def _run(self, events: AsyncIterator[Body]) -> None:
        loop = asyncio.get_running_loop()
        try:
            async for body in events:
                self._held.append(orjson.dumps(body).decode())
                if self._hand_over is None:
                    wait = self._handed_at + self._batch_interval - loop.time()
                    if wait <= 0:
                        self._offer_held()
                    else:
                        self._hand_over = loop.call_later(wait, self._offer_held)
        except Exception:
            logger.exception("subscription execution failed")
            self._held.append(FAILED)
        finally:
            self._forget()
            self._offer_held()
            for subscriber in tuple(self.subscribers):
                subscriber.offer(_END)

    def _offer_held(self) -> None:
        """Every held response to every subscriber, as one Encoded (one write each)."""
        if self._hand_over is not None:
            self._hand_over.cancel()
            self._hand_over = None
        if not self._held:
            return
        encoded = Encoded(*self._held)
        self._held = []
        self._handed_at = asyncio.get_running_loop().time()
        for subscriber in tuple(self.subscribers):
            subscriber.offer(encoded)

    def leave(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        if not self.subscribers:
            self._forget()
            self._task.cancel()


class Subscriptions:
    def __init__(
        self,
        source: SubscriptionSource,
        *,
        queue_limit: int = 256,
        resume_arguments: Collection[str] = ("after",),
        batch_interval: float = 0.02,
    ) -> None:
        self.source = source
        self.queue_limit = queue_limit
        self.batch_interval = batch_interval
        self.resume_arguments = frozenset(resume_arguments)
        self._shared: dict[Hashable, _Execution] = {}
        self._running: set[_Execution] = set()

    @property
    def execution_count(self) -> int:
        """Executions running now (shared or not)."""
        return len(self._running)

    @property
    def subscriber_count(self) -> int:
        """Subscribers now, over every execution."""
        return sum(len(execution.subscribers) for execution in self._running)

    def subscribe(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: object,
    ) -> Subscriber:
        """Join an equal running subscription or start one; raises ``RequestError`` when
        the operation is refused before it starts."""
        stream = self.source.subscribe(query, variables, operation_name, context)
        key = self._key(stream.operation, query, variables, operation_name, context)
        execution = self._shared.get(key) if key is not None else None
        if execution is None:
            execution = self._start(key, stream.events)
        subscriber = Subscriber(self.queue_limit, execution.leave)
        execution.subscribers.add(subscriber)
        return subscriber

    def _start(self, key: Hashable | None, events: AsyncIterator[Body]) -> _Execution:
        def forget() -> None:
            self._running.discard(execution)
            if key is not None and self._shared.get(key) is execution:
                del self._shared[key]

        execution = _Execution(events, forget, self.batch_interval)
        self._running.add(execution)
        if key is not None:
            self._shared[key] = execution
        return execution

    def _key(
        self,
        operation: NormalizedOperation,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: object,
    ) -> Hashable | None:
        if not isinstance(context, Shareable) or self._resumes(operation, variables):
            return None
        return (
            context.sharing_key,
            document_hash(query),
            operation_name,
            orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS),
        )

    def _resumes(self, operation: NormalizedOperation, variables: Mapping[str, Any] | None) -> bool:
        """Whether a root field gets a resume position (a non-null resume argument)."""
        return any(
            argument.name.value in self.resume_arguments and _given(argument.value, variables)
            for selection in operation.selections
            for argument in getattr(selection, "arguments", ())
        )


def _given(value: ValueNode, variables: Mapping[str, Any] | None) -> bool:
    if isinstance(value, VariableNode):
        return (variables or {}).get(value.name.value) is not None
    return value.kind != "null_value"
