"""Composition of ``@authenticated`` and ``@requiresScopes``: recorded per coordinate, AND-ed
across subgraphs, printed into the supergraph SDL and kept out of the API schema."""

from __future__ import annotations

import pytest

from router.composition import (
    AccessRequirement,
    CompositionError,
    SubgraphSource,
    compose,
    print_api_schema,
    print_supergraph,
)
from router.composition.access import dnf_conjunction
from tests.router.fixture_access import LINK, access_sources


def test_requirements_are_recorded_per_field_and_type() -> None:
    access = compose(access_sources()).access

    assert access["Order.total"] == AccessRequirement(scopes=(("orders:read",),))
    assert access["Order.invoice"] == AccessRequirement(scopes=(("billing:read",), ("admin",)))
    assert access["Customer"] == AccessRequirement(authenticated=True)
    assert access["Mutation.refund"] == AccessRequirement(scopes=(("billing:write",),))
    assert "Order.id" not in access


def test_scopes_declared_by_two_subgraphs_are_and_ed() -> None:
    notes = compose(access_sources()).access["Order.notes"]

    # shop: orders:read OR support; billing: notes:read.
    assert notes == AccessRequirement(
        scopes=(("notes:read", "orders:read"), ("notes:read", "support"))
    )


def test_authenticated_in_one_subgraph_holds_for_the_merged_coordinate() -> None:
    link = LINK
    supergraph = compose(
        [
            SubgraphSource("a", link + 'type Query { t: T } type T @key(fields: "id") { id: ID! }'),
            SubgraphSource(
                "b",
                link + 'type T @key(fields: "id") { id: ID! n: Int @shareable @authenticated }',
            ),
            SubgraphSource(
                "c",
                link + 'type T @key(fields: "id") { id: ID! n: Int @shareable '
                '@requiresScopes(scopes: [["x"]]) }',
            ),
        ]
    )

    assert supergraph.access == {
        "T.n": AccessRequirement(authenticated=True, scopes=(("x",),)),
    }


@pytest.mark.parametrize(
    ("values", "merged"),
    [
        ([(("b", "a"),)], (("a", "b"),)),
        ([(("x",),), (("x",), ("y",))], (("x",),)),
        ([(("a",), ("b",)), (("c",),)], (("a", "c"), ("b", "c"))),
        ([(), (("a",),)], (("a",),)),
    ],
)
def test_dnf_conjunction_normalises_like_apollo(
    values: list[tuple[tuple[str, ...], ...]], merged: tuple[tuple[str, ...], ...]
) -> None:
    assert dnf_conjunction(values) == merged


def test_federation_prefixed_spelling_is_read_too() -> None:
    sdl = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n'
        'type Query { secret: String @federation__requiresScopes(scopes: [["s"]]) '
        "mine: String @federation__authenticated }"
    )

    access = compose([SubgraphSource("a", sdl)]).access

    assert access == {
        "Query.mine": AccessRequirement(authenticated=True),
        "Query.secret": AccessRequirement(scopes=(("s",),)),
    }


def test_a_flat_scope_list_is_coerced_like_any_graphql_input() -> None:
    sdl = LINK + 'type Query { secret: String @requiresScopes(scopes: ["a", "b"]) }'

    access = compose([SubgraphSource("a", sdl)]).access

    assert access["Query.secret"] == AccessRequirement(scopes=(("a",), ("b",)))


def test_scopes_that_are_not_strings_are_refused() -> None:
    # Apollo's composition takes any literal for its Scope scalar; the router compares scopes
    # with the caller's permissions, which are strings, so it cannot enforce these.
    sdl = LINK + "type Query { secret: String @requiresScopes(scopes: [[1]]) }"

    with pytest.raises(CompositionError) as raised:
        compose([SubgraphSource("a", sdl)])

    assert [(i.code, i.message) for i in raised.value.issues] == [
        (
            "INVALID_GRAPHQL",
            '[a] @requiresScopes on "Query.secret" needs scopes: [[String!]!]!',
        )
    ]


def test_api_schema_carries_no_access_directive() -> None:
    printed = print_api_schema(compose(access_sources()))

    assert "requiresScopes" not in printed
    assert "authenticated" not in printed


def test_supergraph_sdl_links_defines_and_applies_them() -> None:
    printed = print_supergraph(compose(access_sources()))

    assert printed.splitlines()[0] == (
        'schema @link(url: "https://specs.apollo.dev/link/v1.0") '
        '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) '
        '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY) '
        '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY) {'
    )
    assert (
        "directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"
        in printed
    )
    assert (
        "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | "
        "OBJECT | INTERFACE | SCALAR | ENUM\n\nscalar requiresScopes__Scope" in printed
    )
    assert "type Customer @join__type(graph: SHOP) @authenticated {" in printed
    assert (
        '  total: Int @join__field(graph: SHOP) @requiresScopes(scopes: [["orders:read"]])'
        in printed
    )


def test_supergraph_without_access_directives_links_neither() -> None:
    sdl = LINK + "type Query { ping: String }"

    printed = print_supergraph(compose([SubgraphSource("a", sdl)]))

    assert "authenticated" not in printed
    assert "requiresScopes" not in printed
