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
            _print_awaits(task.get_coro())
        sys.stderr.flush()


def _print_awaits(coro: Any) -> None:
    """Where a suspended task waits: its coroutines' frames, innermost last (a task's own
    stack shows only the outermost frame of a suspended coroutine)."""
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
        if frame is not None:
            print(f"  awaits in {frame.f_code.co_filename}:{frame.f_lineno}", file=sys.stderr)
        waited = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
        if waited is not None and not hasattr(waited, "cr_frame"):
            print(f"  on {waited!r}", file=sys.stderr)
        coro = waited


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
