"""`opsgraph_webhook_deliveries` (issue 21): each attempt's outcome counted — delivered,
retried, dead-lettered, refused — by the real job runner against a receiver on loopback.
The counter is process-wide, so each test reads how much it moved."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY

from tests.support import Subgraph
from tests.webhooks.conftest import settled
from tests.webhooks.receiver import Answer, Receiver
from tests.webhooks.test_deliveries import create_webhook, new_incident

NAME = "opsgraph_webhook_deliveries_total"
OUTCOMES = ("delivered", "retried", "dead_lettered", "refused")


def counts() -> dict[str, float]:
    return {
        outcome: REGISTRY.get_sample_value(NAME, {"outcome": outcome}) or 0.0
        for outcome in OUTCOMES
    }


def moved(before: dict[str, float]) -> dict[str, float]:
    after = counts()
    return {outcome: after[outcome] - before[outcome] for outcome in OUTCOMES}


@pytest.fixture
def deliver_one(
    webhooks: Subgraph,
    incidents: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
) -> Callable[..., Awaitable[tuple[Any, dict[str, float]]]]:
    """A webhook to the test's receiver path, then one incident's event delivered by the
    real runner: its delivery row, settled, and how the counter moved meanwhile (from after
    `prepare`, called once the webhook exists)."""

    async def deliver(prepare: Callable[[], None] = lambda: None) -> tuple[Any, dict[str, float]]:
        hook = (await create_webhook(webhooks, receiver.url(path)))["webhook"]
        prepare()
        before = counts()
        await new_incident(incidents, fan_out)
        (row,) = await settled(owner_sessions, hook["id"])
        return row, moved(before)

    return deliver


async def test_a_delivered_attempt_is_counted(deliver_one: Any) -> None:
    row, counted = await deliver_one()
    assert row.status == "DELIVERED"
    # Each attempt before the delivered one (none, unless a loaded machine let one time out
    # or its connection fail) was retried.
    retried = row.attempts - 1
    assert counted == {"delivered": 1, "retried": retried, "dead_lettered": 0, "refused": 0}


async def test_retries_then_the_dead_letter_are_counted(
    deliver_one: Any, receiver: Receiver, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSGRAPH_WEBHOOK_RETRY_FOR_SECONDS", "1")
    receiver.script(path, Answer(status=503))
    row, counted = await deliver_one()
    assert row.status == "DEAD"
    assert counted == {
        "delivered": 0,
        "retried": row.attempts - 1,
        "dead_lettered": 1,
        "refused": 0,
    }


async def test_a_refused_target_is_counted(
    deliver_one: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    row, counted = await deliver_one(
        lambda: monkeypatch.setenv("OPSGRAPH_WEBHOOK_ALLOW_PRIVATE", "false")
    )
    assert row.status == "DEAD"
    assert counted == {"delivered": 0, "retried": 0, "dead_lettered": 0, "refused": 1}
