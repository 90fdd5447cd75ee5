"""Declaring job kinds (resolvers/jobs.py) and what the registry makes of them, the back-off
schedule, and the registry's event catalogue and every-domain consumers."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import pytest

from opsgraph.domains import DOMAINS, REGISTRY, Registry
from resolvers.consumers import EVERY_DOMAIN
from resolvers.jobs import JobKind, UnexpectedFailures, backoff

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


async def _done(session: object, job: object) -> None:
    return None


def test_a_kinds_name_is_required_and_bounded() -> None:
    for name in ("", "x" * 101):
        with pytest.raises(ValueError, match="job kind's name"):
            JobKind(name, _done)


def test_a_kind_declared_twice_is_refused() -> None:
    webhooks = REGISTRY.domain("webhooks")
    twin = dataclasses.replace(REGISTRY.domain("problems"), jobs=webhooks.jobs)
    others = tuple(d for d in DOMAINS if d.name != "problems")
    with pytest.raises(ValueError, match="job kind's name is declared twice"):
        Registry((*others, twin))


def test_a_process_runs_the_kinds_of_the_domains_it_serves() -> None:
    assert [kind.name for kind in REGISTRY.jobs(["webhooks"])] == ["webhooks.deliver"]
    assert [kind.name for kind in REGISTRY.jobs(["incidents"])] == [
        "incidents.auto_close",
        "incidents.purge",
        "incidents.bulk_update",
    ]
    assert REGISTRY.jobs(["problems"]) == ()
    with pytest.raises(KeyError):
        REGISTRY.jobs(["nope"])


def test_a_consumer_of_every_domain_reads_those_with_events() -> None:
    (fan_out,) = REGISTRY.consumers(["webhooks"])
    declared = REGISTRY.domain("webhooks").consumers[0]
    assert declared.domains == EVERY_DOMAIN
    assert fan_out.domains == {"identity", "cmdb", "incidents", "problems"}
    assert REGISTRY.event_catalogue.view_permission == {
        "identity": "identity:view",
        "cmdb": "cmdb:view",
        "incidents": "incident:view",
        "problems": "problem:view",
    }


def test_unexpected_failures_double_then_give_up() -> None:
    policy = UnexpectedFailures(attempts=4, first_wait=0.5)
    assert [policy.next_wait(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, None]


def test_backoff_doubles_with_jitter_in_its_upper_half() -> None:
    rng = random.Random(7)
    for attempt in range(1, 10):
        when = backoff(attempt, base=30, queued_at=NOW, give_up_after=86_400, now=NOW, rng=rng)
        assert when is not None
        wait = (when - NOW).total_seconds()
        assert 15 * 2 ** (attempt - 1) <= wait <= 30 * 2 ** (attempt - 1)


def test_backoff_honours_retry_after_as_the_least_wait() -> None:
    when = backoff(1, base=30, queued_at=NOW, give_up_after=86_400, now=NOW, retry_after=600)
    assert when == NOW + timedelta(seconds=600)


def test_backoff_gives_up_once_past_the_window() -> None:
    late = NOW + timedelta(hours=23, minutes=59)
    assert backoff(12, base=30, queued_at=NOW, give_up_after=86_400, now=late) is None
    retry_after_too_far = backoff(
        1, base=30, queued_at=NOW, give_up_after=86_400, now=NOW, retry_after=90_000
    )
    assert retry_after_too_far is None
