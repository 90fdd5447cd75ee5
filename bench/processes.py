"""Starting the servers under test as real processes, and keeping the two cores apart.

On a machine with two or more CPUs the server under test runs on CPU 0 while the load
driver and PostgreSQL share CPU 1, so the driver never steals the server's cycles."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import psutil

SERVER_CPU, DRIVER_CPU = 0, 1


def can_pin() -> bool:
    return hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2


def pin(pid: int, cpu: int) -> None:
    if can_pin():
        os.sched_setaffinity(pid, {cpu})


def pin_postgres(cpu: int) -> int:
    """Pin every running postgres process this user may touch; returns how many."""
    pinned = 0
    for process in psutil.process_iter(["name"]):
        if process.info["name"] in ("postgres", "postmaster"):
            try:
                pin(process.pid, cpu)
                pinned += 1
            except (PermissionError, ProcessLookupError, psutil.Error):
                continue
    return pinned


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def python(module: str, *args: str) -> list[str]:
    """The command running `python -m MODULE ARGS` in this interpreter."""
    return [sys.executable, "-m", module, *args]


class ServerProcess:
    """A server started with `COMMAND --port N`, waited for until /ready answers."""

    def __init__(self, name: str, command: Sequence[str], env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.headers: dict[str, str] = {}  # sent with every benchmark request
        # CPU seconds of each PostgreSQL backend seen serving this server, when last seen.
        self._backends: dict[int, float] = {}
        # Output goes to a file, never to an unread pipe: a full pipe would block the
        # server's logging, and with it the whole event loop, mid-measurement.
        self.log = _log_file(f"bench-{name}-")
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port)],
                env={**os.environ, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
                # Pinned before it runs, so every thread it starts (node's too) inherits it.
                preexec_fn=_pin_to_server_cpu if can_pin() else None,
            )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}: {self.log.read_text()}"
                )
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/ready", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready in {timeout:.0f} s")

    def rss_mb(self) -> float:
        return psutil.Process(self.process.pid).memory_info().rss / 2**20

    def _processes(self) -> list[psutil.Process]:
        process = psutil.Process(self.process.pid)
        return [process, *process.children(recursive=True)]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server and any processes it started have used."""
        return sum(_cpu(p) for p in self._processes())

    def database_cpu_seconds(self) -> float | None:
        """CPU time the PostgreSQL backends at the other end of this server's connections
        have used, as far as seen: a server that leaves the nesting to one big statement
        moves work there, out of its own process. Backends are found as the local
        processes holding the other end of the server's outgoing TCP connections; one that
        closes keeps its last figure, so differences between two calls count what the
        backends used in between. None while none is seen (a database reached over a Unix
        socket, or backends this user may not inspect)."""
        ours = {
            (c.raddr, c.laddr)
            for p in self._processes()
            for c in p.net_connections(kind="tcp")
            if c.raddr and c.laddr.port != self.port
        }
        for c in psutil.net_connections(kind="tcp"):
            if c.pid is not None and c.raddr and (c.laddr, c.raddr) in ours:
                with contextlib.suppress(psutil.Error):
                    self._backends[c.pid] = _cpu(psutil.Process(c.pid))
        return sum(self._backends.values()) if self._backends else None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _pin_to_server_cpu() -> None:
    os.sched_setaffinity(0, {SERVER_CPU})


def _log_file(prefix: str) -> Path:
    descriptor, name = tempfile.mkstemp(prefix=prefix, suffix=".log")
    os.close(descriptor)
    return Path(name)
