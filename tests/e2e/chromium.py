"""Headless Chromium (Debian's `chromium` package), driven over the DevTools protocol.

Raw CDP over the `websockets` package the server already depends on: no WebDriver, no
extra Python dependency. One browser per `Chromium` context, in a fresh profile directory;
`Page` evaluates JavaScript in the page and waits for conditions, keeping the console
messages and uncaught exceptions so a failing wait can say what the page said."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",  # Chromium picks a free port and writes it to its profile
]
# Recorded by the page from its first script on: CSP refusals never reach the console API.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


class Page:
    """One tab, over its own DevTools WebSocket."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self.log: list[str] = []
        self.call("Runtime.enable")
        self.call("Page.enable")
        self.call("Page.addScriptToEvaluateOnNewDocument", source=RECORD_VIOLATIONS)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and return its result, logging the events that arrive meanwhile."""
        ident = next(self._ids)
        self._socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=30))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]  # type: ignore[no-any-return]
            self._record(message)

    def _record(self, message: dict[str, Any]) -> None:
        params = message.get("params", {})
        if message.get("method") == "Runtime.consoleAPICalled":
            texts = [str(arg.get("value", arg.get("description", ""))) for arg in params["args"]]
            self.log.append(f"console.{params['type']}: {' '.join(texts)}")
        elif message.get("method") == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            description = details.get("exception", {}).get("description", details)
            self.log.append(f"exception: {description}")

    def navigate(self, url: str) -> None:
        """Open the URL and return once its load event has fired."""
        self.call("Page.navigate", url=url)
        while True:
            message = json.loads(self._socket.recv(timeout=30))
            if message.get("method") == "Page.loadEventFired":
                return
            self._record(message)

    def evaluate(self, expression: str) -> Any:
        """The expression's value (awaited when it is a promise), as JSON."""
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20) -> Any:
        """Poll until the expression is truthy; return its value, or fail saying what the
        page shows and logged."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        text = self.evaluate("document.body ? document.body.innerText : ''")
        raise AssertionError(
            f"timed out after {timeout:.0f} s waiting for {expression!r}\n"
            f"page text:\n{text}\nlog:\n" + "\n".join(self.log)
        )


@contextlib.contextmanager
def chromium() -> Iterator[Page]:
    """A fresh headless browser with one blank tab; stopped (with its helpers) on exit."""
    with tempfile.TemporaryDirectory(prefix="opsgraph-chromium-") as profile:
        process = subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: its helpers stop with it
        )
        try:
            port = _devtools_port(Path(profile), process)
            targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
            tab = next(t for t in targets if t["type"] == "page")
            with connect(tab["webSocketDebuggerUrl"], max_size=None) as socket:
                yield Page(socket)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def _devtools_port(profile: Path, process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """The port Chromium chose, from the `DevToolsActivePort` file it writes at start-up."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with {process.returncode}")
        if marker.exists() and (lines := marker.read_text().splitlines()):
            return int(lines[0])
        time.sleep(0.1)
    raise RuntimeError(f"chromium wrote no {marker.name} in {timeout:.0f} s")
