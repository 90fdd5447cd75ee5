"""A pytest plugin: when a test has run for `REPORT_AFTER_SECONDS`, print the stack of every
asyncio task of the running event loop to stderr (the test goes on). A hang in CI then leaves
the awaits it is stuck in in the log, instead of only a stalled run."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

REPORT_AFTER_SECONDS = 120


def _report(item: pytest.Item, signum: int, frame: Any) -> None:
    capture = item.config.pluginmanager.getplugin("capturemanager")
    # Past pytest's output capture: a run killed for hanging never shows what it captured.
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        try:
            tasks = asyncio.all_tasks(asyncio.get_running_loop())
        except RuntimeError:
            print(f"hang report ({item.nodeid}): no event loop running", file=sys.stderr)
            return
        print(f"hang report ({item.nodeid}): {len(tasks)} asyncio tasks", file=sys.stderr)
        for task in tasks:
            print(f"--- {task.get_name()}: {task}", file=sys.stderr)
            task.print_stack(file=sys.stderr)
        sys.stderr.flush()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    # The signal is handled on the main thread, where the tests' event loop runs: the handler
    # interrupts its select() and sees the loop as the running one.
    signal.signal(signal.SIGUSR1, functools.partial(_report, item))
    timer = threading.Timer(REPORT_AFTER_SECONDS, os.kill, (os.getpid(), signal.SIGUSR1))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
