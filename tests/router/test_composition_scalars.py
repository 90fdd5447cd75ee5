"""Scalars with a known @specifiedBy are checked by the router: literals at validation,
variables at coercion; values pass through unchanged; other custom scalars stay permissive."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLScalarType, parse, specified_rules, validate
from graphql.execution.values import get_variable_values

from router.composition import SubgraphSource, compose
from router.composition.scalars import check_date_time, check_uuid, specification_check
from tests.date_time_cases import INVALID, NOT_STRINGS, VALID

SDL = """extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
scalar DateTime @specifiedBy(url: "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6")
scalar Uuid @specifiedBy(url: "https://www.rfc-editor.org/rfc/rfc9562")
scalar Money
scalar JSON @specifiedBy(url: "https://ecma-international.org/publications-and-standards/standards/ecma-404/")
type Query { echo(at: DateTime, id: Uuid, price: Money, data: JSON): String }
"""
SCHEMA = compose([SubgraphSource("clock", SDL)]).schema
UUID = "6f1c2f8e-5d1b-4c7a-9a53-3f1e0b2c4d5e"


def literal_errors(arguments: str) -> list[str]:
    return [e.message for e in validate(SCHEMA, parse(f"{{ echo({arguments}) }}"), specified_rules)]


def variable_errors(type_name: str, value: Any) -> list[str]:
    document = parse(f"query($v: {type_name}) {{ echo(at: null) }}")
    operation = document.definitions[0]
    coerced = get_variable_values(SCHEMA, operation.variable_definitions, {"v": value})  # type: ignore[attr-defined]
    return [e.message for e in coerced] if isinstance(coerced, list) else []


@pytest.mark.parametrize("value", VALID)
def test_valid_date_time_passes_unchanged(value: str) -> None:
    check_date_time(value)
    assert literal_errors(f'at: "{value}"') == []
    document = parse("query($v: DateTime) { echo(at: $v) }")
    operation = document.definitions[0]
    coerced = get_variable_values(SCHEMA, operation.variable_definitions, {"v": value})  # type: ignore[attr-defined]
    assert not isinstance(coerced, list) and coerced.coerced == {"v": value}


@pytest.mark.parametrize("value", list(INVALID))
def test_invalid_date_time_is_refused_naming_it(value: str) -> None:
    reason = f"{value!r} {INVALID[value]}"
    with pytest.raises(ValueError, match="^" + reason.replace("+", r"\+")):
        check_date_time(value)
    [message] = literal_errors(f'at: "{value}"')
    assert message.startswith(reason)
    [message] = variable_errors("DateTime", value)
    assert message.startswith(f"Variable '$v' has invalid value: {reason}")


@pytest.mark.parametrize("value", NOT_STRINGS)
def test_date_time_is_a_string(value: Any) -> None:
    [message] = variable_errors("DateTime", value)
    assert "DateTime is written as a string" in message


def test_literal_of_another_kind_is_refused() -> None:
    assert literal_errors("at: 1714564800") == ["DateTime is written as a string"]
    assert literal_errors("id: 42") == ["Uuid is written as a string"]


@pytest.mark.parametrize(
    "value", ["not-a-uuid", UUID.replace("-", ""), "{" + UUID + "}", "urn:uuid:" + UUID, ""]
)
def test_uuid_only_in_its_text_form(value: str) -> None:
    with pytest.raises(ValueError, match="is not a UUID"):
        check_uuid(value)
    assert variable_errors("Uuid", value) == [
        f"Variable '$v' has invalid value: {value!r} is not a UUID (8-4-4-4-12 hexadecimal digits)"
    ]
    assert literal_errors(f'id: "{UUID}"') == [] and literal_errors(f'id: "{UUID.upper()}"') == []


def test_unknown_specifications_and_plain_scalars_stay_permissive() -> None:
    assert literal_errors('price: "yesterday", data: "{"') == []
    assert variable_errors("Money", {"any": ["thing"]}) == []
    assert variable_errors("JSON", 12) == []
    assert specification_check(None) is None
    assert specification_check("https://example.com/my-scalar") is None


def test_known_specifications_match_without_fragment_or_trailing_slash() -> None:
    assert specification_check("https://tools.ietf.org/html/rfc3339/") is check_date_time
    assert specification_check("https://scalars.graphql.org/andimarek/date-time") is check_date_time
    assert specification_check("https://datatracker.ietf.org/doc/html/rfc4122#section-3") is (
        check_uuid
    )


def test_output_is_passed_through() -> None:
    scalar = SCHEMA.type_map["DateTime"]
    assert isinstance(scalar, GraphQLScalarType)
    assert scalar.serialize("not a date, yet the subgraph's to answer") == (
        "not a date, yet the subgraph's to answer"
    )
