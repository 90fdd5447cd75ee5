"""Webhook event rules and what a delivery carries (subgraphs/webhooks/rules.py), the
address classification behind the SSRF refusals (targets.py), and how a receiver's
Retry-After is read (delivery.py): plain functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from subgraphs.webhooks import rules, targets
from subgraphs.webhooks.delivery import retry_after

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)

CREATED = {
    "id": "a1",
    "number": 7,
    "changes": {"status": [None, "OPEN"], "title": [None, "Disk full"], "tags": [None, ["db"]]},
}


def conditions(*pairs: tuple[str, list[str]]) -> tuple[rules.Condition, ...]:
    return rules.conditions(pairs)


@pytest.mark.parametrize(
    "given,matched",
    [
        ((), True),
        ((("status", ["OPEN", "IN_PROGRESS"]),), True),
        ((("status", ["CLOSED"]),), False),
        ((("status", ["OPEN"]), ("title", ["Disk full"])), True),
        ((("status", ["OPEN"]), ("title", ["Other"])), False),
        ((("number", ["7"]),), True),
        ((("tags", ["db", "web"]),), True),
        ((("priority", ["HIGH"]),), False),  # not carried by the event
    ],
)
def test_conditions_all_hold_each_any_of_its_values(
    given: tuple[tuple[str, list[str]], ...], matched: bool
) -> None:
    assert rules.matches(conditions(*given), CREATED) is matched


def test_a_change_reads_at_its_new_value() -> None:
    updated = {"id": "a1", "changes": {"status": ["OPEN", "RESOLVED"]}}
    assert rules.matches(conditions(("status", ["RESOLVED"])), updated)
    assert not rules.matches(conditions(("status", ["OPEN"])), updated)


def test_personal_data_is_masked_without_pii_view() -> None:
    payload = {"changes": {"email": [None, "ann@example.com"], "phone": [None, "+1 555 0100"]}}
    masked = rules.masked(payload, rules.may_see_pii({"identity:view"}))
    assert masked["changes"]["email"] == [None, "a***@example.com"]
    assert masked["changes"]["phone"] == [None, "+* *** **00"]
    assert rules.masked(payload, rules.may_see_pii({"pii:view"})) == payload


@pytest.mark.parametrize(
    "address,reason",
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("192.168.1.10", "private"),
        ("172.16.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),
        ("100.64.0.1", "not a globally routable"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_forbidden_addresses(address: str, reason: str) -> None:
    assert reason in (targets.forbidden(address) or "")


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::6810:85e5", "8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert targets.forbidden(address) is None


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Sun, 06 Dec 2026 12:01:00 GMT", 60.0),
        ("²", None),  # a digit to str.isdigit, not to float()
        ("soon", None),
        (None, None),
    ],
)
def test_a_receivers_retry_after(header: str | None, seconds: float | None) -> None:
    assert retry_after(header, NOW) == seconds
