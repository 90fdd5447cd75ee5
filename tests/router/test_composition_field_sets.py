"""Composition rules on @requires/@provides field sets and on @override sources, with
Apollo's codes: every field at any depth exists, provided fields take no arguments, a field
is overridden once."""

from __future__ import annotations

import pytest

from router.composition import CompositionError, KeyField, SubgraphSource, compose
from tests.router.fixture_requires import LINK

OWNER = (
    "owner",
    'type Query { t: T } type T @key(fields: "id") { id: ID! d: D n(x: Int): Int @shareable } '
    "type D @shareable { size: Int }",
)


def issues(*sdls: tuple[str, str]) -> list[tuple[str, str]]:
    with pytest.raises(CompositionError) as raised:
        compose([SubgraphSource(name, LINK + sdl) for name, sdl in sdls])
    return [(issue.code, issue.message) for issue in raised.value.issues]


def test_a_requires_naming_an_unknown_nested_field_is_refused() -> None:
    assert issues(
        OWNER,
        (
            "b",
            'type T @key(fields: "id") { id: ID! d: D @external '
            'm: Int @requires(fields: "d { depth }") } type D @shareable { size: Int }',
        ),
    ) == [
        (
            "REQUIRES_INVALID_FIELDS",
            '@requires(fields: "d { depth }") on "T.m" in "b": Cannot query field "D.depth": '
            "it is not defined there",
        )
    ]


def test_a_provides_of_a_field_with_arguments_is_refused() -> None:
    assert [
        code
        for code, _ in issues(
            OWNER,
            (
                "b",
                'type Query { ts: [T] @provides(fields: "n") } '
                'type T @key(fields: "id") { id: ID! n(x: Int): Int @external }',
            ),
        )
    ] == ["PROVIDES_FIELDS_HAS_ARGS"]


def test_a_field_is_overridden_once() -> None:
    taken = 'type T @key(fields: "id") { id: ID! n(x: Int): Int @override(from: "{}") }'
    found = issues(OWNER, ("b", taken.replace("{}", "owner")), ("c", taken.replace("{}", "b")))

    assert "OVERRIDE_SOURCE_HAS_OVERRIDE" in [code for code, _ in found]


def test_a_field_set_keeps_arguments_and_type_conditions() -> None:
    supergraph = compose(
        [
            SubgraphSource(OWNER[0], LINK + OWNER[1]),
            SubgraphSource(
                "b",
                LINK + 'type T @key(fields: "id") { id: ID! n(x: Int): Int @external '
                'm: Int @requires(fields: "n(x: 1)") }',
            ),
        ]
    )

    assert supergraph.types["T"].fields["m"].requires == {"b": (KeyField("n", arguments="(x: 1)"),)}
