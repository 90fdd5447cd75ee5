"""The load driver: N keep-alive connections looping over a scenario for a fixed time.

A minimal HTTP/1.1 client on asyncio streams (pre-encoded requests, Content-Length bodies)
so that the driver costs far less CPU per request than the servers it measures; an httpx
client would itself be the bottleneck near the floor's rate. Its cyclic garbage collector
is off while it measures (`collector_paused`): a full collection pauses every connection it
drives at once, and their requests would be timed late by as long."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson


class HttpError(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"{status}: {body[:300]!r}")
        self.status = status


class Connection:
    """One keep-alive HTTP/1.1 connection to the server under test."""

    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None) -> None:
        self.host, self.port = host, port
        self._extra = b"".join(
            b"%s: %s\r\n" % (name.encode(), value.encode())
            for name, value in (headers or {}).items()
        )
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        assert self._reader is not None and self._writer is not None
        self._writer.write(
            b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
            b"%sContent-Length: %d\r\n\r\n%s"
            % (path.encode(), self.host.encode(), self._extra, len(body), body)
        )
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise HttpError(status, b"response without Content-Length")
        return status, await self._reader.readexactly(length)

    async def graphql(
        self,
        query: str | None,
        variables: dict[str, Any] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> Any:
        """POST a GraphQL request (no text: a persisted query named by ``extensions``);
        raise HttpError unless it is 200 with data and no errors."""
        request: dict[str, Any] = {"variables": variables or {}}
        if query is not None:
            request["query"] = query
        if extensions is not None:
            request["extensions"] = extensions
        status, body = await self.post("/graphql", orjson.dumps(request))
        result = orjson.loads(body)
        if status != 200 or result.get("errors"):
            raise HttpError(status, body)
        return result["data"]


Iteration = Callable[[Connection], Awaitable[None]]


@dataclass
class Measurement:
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    # CPU seconds the server, and the database backends serving it, used from the start of
    # the recorded window until the last request finished (None when not sampled).
    server_cpu_seconds: float | None = None
    database_cpu_seconds: float | None = None

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float | None:
        """Server CPU milliseconds per recorded request: steadier than req/s on a machine
        whose cores other work shares."""
        return self._per_request(self.server_cpu_seconds)

    @property
    def database_cpu_ms_per_request(self) -> float | None:
        return self._per_request(self.database_cpu_seconds)

    def _per_request(self, seconds: float | None) -> float | None:
        if seconds is None or not self.latencies:
            return None
        return seconds * 1000 / len(self.latencies)

    @classmethod
    def merged(cls, parts: list[Measurement]) -> Measurement:
        """One measurement of several rounds of the same target (``--rounds``): their
        requests, errors, time and CPU added up."""
        cpu = [part.server_cpu_seconds for part in parts]
        database = [part.database_cpu_seconds for part in parts]
        return cls(
            parts[0].concurrency,
            sum(part.seconds for part in parts),
            [latency for part in parts for latency in part.latencies],
            sum(part.errors for part in parts),
            next((part.first_error for part in parts if part.first_error), None),
            None if None in cpu else sum(cpu),  # type: ignore[arg-type]
            None if None in database else sum(database),  # type: ignore[arg-type]
        )

    def percentile(self, p: float) -> float:
        """The p-th percentile latency in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def measure(
    host: str,
    port: int,
    iteration: Iteration,
    *,
    concurrency: int,
    warmup: float,
    duration: float,
    headers: dict[str, str] | None = None,
    server_cpu: Callable[[], float] | None = None,
    database_cpu: Callable[[], float | None] | None = None,
) -> Measurement:
    """Run `iteration` on `concurrency` connections: `warmup` seconds unrecorded, then
    `duration` seconds recorded. Stops by itself; a failed iteration counts as an error.
    ``server_cpu`` and ``database_cpu`` (CPU seconds so far; None: not known) are sampled
    when recording starts and after the last request."""
    result = Measurement(concurrency, duration)
    started = time.perf_counter()
    record_from, stop_at = started + warmup, started + warmup + duration

    async def worker() -> None:
        connection = Connection(host, port, headers)
        await connection.open()
        try:
            while (now := time.perf_counter()) < stop_at:
                try:
                    await iteration(connection)
                except (HttpError, OSError, asyncio.IncompleteReadError) as error:
                    if now >= record_from:
                        result.errors += 1
                        result.first_error = result.first_error or str(error)
                    await connection.close()
                    connection = Connection(host, port, headers)
                    await connection.open()
                    continue
                if now >= record_from:
                    result.latencies.append(time.perf_counter() - now)
        finally:
            await connection.close()

    clocks: dict[str, Callable[[], float | None] | None] = {
        "server": server_cpu,
        "database": database_cpu,
    }

    def sample() -> dict[str, float | None]:
        return {name: clock() for name, clock in clocks.items() if clock is not None}

    async def at_record_start() -> dict[str, float | None]:
        await asyncio.sleep(record_from - time.perf_counter())
        # In a thread: finding the database's backends scans every socket (tens of ms),
        # which would otherwise stall the recorded requests' event loop.
        return await asyncio.to_thread(sample)

    started_at = asyncio.create_task(at_record_start())
    with collector_paused():
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    at_start = await started_at
    at_end = sample()
    result.server_cpu_seconds = _used(at_start.get("server"), at_end.get("server"))
    result.database_cpu_seconds = _used(at_start.get("database"), at_end.get("database"))
    return result


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """This process's cyclic garbage collector off for a measured window, after a
    collection (the driver's garbage is freed by reference counting meanwhile; what cycles
    it makes wait for the next window's collection)."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _used(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else end - start
