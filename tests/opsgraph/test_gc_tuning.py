"""The server freezes its start-up heap; a young-generation threshold is the operator's."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from opsgraph.gc_tuning import tune_garbage_collector


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_freezes_the_heap_and_keeps_the_thresholds(restored_gc: None) -> None:
    before = gc.get_threshold()
    tune_garbage_collector()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() > 0


def test_a_threshold_sets_the_young_generation_only(restored_gc: None) -> None:
    _, older, oldest = gc.get_threshold()
    tune_garbage_collector(20_000)
    assert gc.get_threshold() == (20_000, older, oldest)
