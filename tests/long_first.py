"""A pytest plugin: the files that run longest are collected first, so that pytest-xdist's
workers (given whole files, in collection order) start on them and the run does not end
with one worker alone on a long file while the other idles.

Measured with `--durations`: each of these takes 20 s to 2 min (servers, processes, node)."""

from __future__ import annotations

import pytest

LONG_FIRST = (
    "tests/federation_corpus/",
    "tests/interop/test_router_operator.py",
    "tests/interop/test_apollo.py",
    "tests/auth/test_permission_matrix.py",
    "tests/opsgraph/test_cli.py",
    "tests/e2e/test_fuzz.py",
    "tests/e2e/test_alertmanager.py",
    "tests/bench/",
    "tests/e2e/test_tls.py",
    "tests/subgraphs/cmdb/test_incident_links.py",
    "tests/opsgraph/test_database_outage.py",
    "tests/e2e/test_subscriptions.py",
    "tests/interop/test_split_subscriptions.py",
    "tests/e2e/test_metrics.py",
    "tests/events/test_amqp_export.py",
    "tests/interop/",
    "tests/faults/",
    "tests/e2e/",
)


def _rank(item: pytest.Item) -> int:
    path = item.nodeid.split("::")[0]
    for rank, prefix in enumerate(LONG_FIRST):
        if path.startswith(prefix):
            return rank
    return len(LONG_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A stable sort: files keep their tests' order, and the rest its collection order.
    items.sort(key=_rank)
