"""The bench's drivers measure with their cyclic garbage collector off, as it was after."""

from __future__ import annotations

import gc

from bench.driver import collector_paused


def test_the_collector_is_off_while_a_window_is_measured_and_on_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_cycles_made_before_a_window_are_collected_as_it_opens() -> None:
    class Node:
        def __init__(self) -> None:
            self.other: Node = self

    Node()  # a cycle only the collector frees
    with collector_paused():
        assert not any(type(o) is Node for o in gc.get_objects())
