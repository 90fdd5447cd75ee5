"""Every response the suite gets in-process is checked against the general path: where the
router finishes a merged tree in place (router/execution/one_tree.py), the same execution is
shaped from a copy as well, and the two bodies must be byte-identical (data, errors, field
order). Tests of the server process run this through tests/router/test_one_tree.py."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from router.execution import PlanExecution
from router.pipeline.execute import PlanRunner
from router.pipeline.results import Prepared

_respond = PlanRunner.respond


def checked_respond(
    runner: PlanRunner, prepared: Prepared, execution: PlanExecution
) -> dict[str, Any]:
    """``PlanRunner.respond``, failing when it differs from shaping a copy of the tree."""
    shaped = copy.copy(execution)
    shaped.data = copy.deepcopy(execution.data)
    shaped.errors = list(execution.errors)
    expected = runner.body(prepared, shaped)
    body = _respond(runner, prepared, execution)
    if orjson.dumps(body) != orjson.dumps(expected):
        raise AssertionError(
            f"one tree differs from the shaped response:\n{body!r}\n!=\n{expected!r}"
        )
    return body


@pytest.fixture(autouse=True)
def _check_one_tree(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(PlanRunner, "respond", checked_respond)
    yield
