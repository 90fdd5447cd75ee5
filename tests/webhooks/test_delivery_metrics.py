"""`opsgraph_webhook_deliveries` (issue 21): each attempt's outcome counted — delivered,
retried, dead-lettered, refused — by the real job runner against a receiver on loopback.
The counter is process-wide, so each test reads how much it moved."""

from __future__ import annotations

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


async def test_a_delivered_attempt_is_counted(
    webhooks: Subgraph,
    incidents: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
) -> None:
    before = counts()
    hook = (await create_webhook(webhooks, receiver.url(path)))["webhook"]
    await new_incident(incidents, fan_out)
    (row,) = await settled(owner_sessions, hook["id"])
    assert row.status == "DELIVERED"
    assert moved(before) == {"delivered": 1, "retried": 0, "dead_lettered": 0, "refused": 0}


async def test_retries_then_the_dead_letter_are_counted(
    webhooks: Subgraph,
    incidents: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPSGRAPH_WEBHOOK_RETRY_FOR_SECONDS", "1")
    receiver.script(path, Answer(status=503))
    before = counts()
    hook = (await create_webhook(webhooks, receiver.url(path)))["webhook"]
    await new_incident(incidents, fan_out)
    (row,) = await settled(owner_sessions, hook["id"])
    assert row.status == "DEAD"
    assert moved(before) == {
        "delivered": 0,
        "retried": row.attempts - 1,
        "dead_lettered": 1,
        "refused": 0,
    }


async def test_a_refused_target_is_counted(
    webhooks: Subgraph,
    incidents: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hook = (await create_webhook(webhooks, receiver.url(path)))["webhook"]
    monkeypatch.setenv("OPSGRAPH_WEBHOOK_ALLOW_PRIVATE", "false")
    before = counts()
    await new_incident(incidents, fan_out)
    (row,) = await settled(owner_sessions, hook["id"])
    assert row.status == "DEAD"
    assert moved(before) == {"delivered": 0, "retried": 0, "dead_lettered": 0, "refused": 1}
