"""The subgraphs' DateTime: RFC 3339 with an offset, within years 1 to 9999 in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import ciso8601
import pytest

from resolvers.errors import BadUserInput
from resolvers.scalars import DATE_TIME_SPECIFICATION, DateTime, parse_date_time
from tests.date_time_cases import INVALID, NOT_STRINGS, VALID


@pytest.mark.parametrize("value", VALID)
def test_accepted_as_the_same_instant_in_utc(value: str) -> None:
    parsed = parse_date_time(value)
    assert parsed.tzinfo is UTC
    assert parsed == ciso8601.parse_rfc3339(value)


@pytest.mark.parametrize("value", list(INVALID))
def test_refused_naming_the_value(value: str) -> None:
    with pytest.raises(BadUserInput) as refused:
        parse_date_time(value)
    assert refused.value.message == refused.value.message.strip()
    assert f"{value!r} {INVALID[value]}" in refused.value.message
    assert refused.value.extensions == {"code": "BAD_USER_INPUT"}


@pytest.mark.parametrize("value", NOT_STRINGS)
def test_refused_unless_a_string(value: object) -> None:
    with pytest.raises(BadUserInput, match="written as a string"):
        parse_date_time(value)


def test_declares_its_specification_and_serialises_iso_8601() -> None:
    assert DateTime.specified_by_url == DATE_TIME_SPECIFICATION
    at = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert DateTime.serialize(at) == "2024-05-01T12:00:00+00:00"


@pytest.mark.parametrize(
    "at",
    [
        datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        datetime(2024, 5, 1, 12, 0, 0, 1, tzinfo=UTC),
        datetime(2024, 11, 1, 0, 10, 30, 720000, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(seconds=-30))),
        datetime(2024, 5, 1, 12, 0),
    ],
)
def test_serialised_as_isoformat_writes_it(at: datetime) -> None:
    assert DateTime.serialize(at) == at.isoformat()
