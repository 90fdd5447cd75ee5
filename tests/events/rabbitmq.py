"""RabbitMQ for the message bus export's tests: the machine's broker (127.0.0.1:5672,
guest/guest, as CI machines run it; OPSGRAPH_TEST_AMQP_URL to use another), and a private
broker node of the machine's `rabbitmq-server` that a test may stop and start again on the
same port with the same data directory, as a broker restart looks to its clients.

Without either, the tests that need it skip with the reason; under CI (`CI` set) they fail
instead: CI machines have both (`make test` installs Debian's rabbitmq-server when missing)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import aio_pika
import psutil
import pytest

from tests.support import free_port

MACHINE_URL = os.environ.get("OPSGRAPH_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
# Debian's script runs the node as whoever starts it (/usr/sbin's wrapper switches to the
# rabbitmq user, who could not write the test's directory).
SERVER_SCRIPTS = (Path("/usr/lib/rabbitmq/bin/rabbitmq-server"),)
START_TIMEOUT = 60.0


def unavailable(reason: str) -> None:
    """Skip, or fail under CI, where RabbitMQ must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} in CI: the machine's RabbitMQ and rabbitmq-server are required")
    pytest.skip(reason)


async def reachable(url: str, timeout: float = 2.0) -> bool:
    try:
        connection = await aio_pika.connect(url, timeout=timeout)
    except Exception:
        return False
    await connection.close()
    return True


async def machine_broker() -> str:
    """The machine's broker's URL, once it answers."""
    if not await reachable(MACHINE_URL):
        unavailable(f"no RabbitMQ answers at {MACHINE_URL} (apt-get install rabbitmq-server)")
    return MACHINE_URL


def server_script() -> Path | None:
    for script in SERVER_SCRIPTS:
        if script.exists():
            return script
    found = shutil.which("rabbitmq-server")
    return Path(found) if found else None


class RabbitNode:
    """A private RabbitMQ node: its own name, ports, data, logs and Erlang cookie under
    `base`, no plugins; `stop()` is a graceful shutdown (SIGTERM), `start()` boots it again
    with the same data (durable exchanges, queues and persistent messages survive)."""

    def __init__(self, script: Path, base: Path) -> None:
        self.script = script
        self.base = base
        self.port = free_port()
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.process: subprocess.Popen[bytes] | None = None
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq.conf").write_text("")
        (base / "rabbitmq-env.conf").write_text("")
        self.env = {
            **os.environ,
            "HOME": str(base),  # the node's Erlang cookie goes there
            "RABBITMQ_NODENAME": f"opsgraph-test-{uuid.uuid4().hex[:8]}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        }

    async def start(self) -> None:
        with (self.base / "console.log").open("ab") as console:
            self.process = subprocess.Popen(
                [str(self.script)],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while loop.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited: see {self.base / 'console.log'}")
            if await reachable(self.url, timeout=1.0):
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"rabbitmq-server did not answer in {START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        """SIGTERM to the Erlang VM (the script's child): RabbitMQ shuts down gracefully,
        closing its clients' connections; then wait for the script to end."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        script = psutil.Process(process.pid)
        vms = [p for p in (script, *script.children(recursive=True)) if p.name().startswith("beam")]
        for vm in vms or [script]:
            vm.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            self.kill(process)

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        for child in psutil.Process(process.pid).children(recursive=True):
            child.kill()
        process.kill()
        process.wait(10)
