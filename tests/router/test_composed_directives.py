"""``@composeDirective``: a subgraph's own directive kept in the supergraph (linked, defined,
applied) and out of the API schema; malformed requests refused as Apollo refuses them."""

from __future__ import annotations

import pytest

from router.composition import (
    CompositionError,
    SubgraphSource,
    compose,
    print_api_schema,
    print_supergraph,
)

FEDERATION = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@composeDirective"])\n'
)
QUERY = 'type Query { items: [Item!]! } type Item @key(fields: "id") { id: ID! }'


def custom(version: str, locations: str = "FIELD_DEFINITION | OBJECT") -> str:
    return (
        FEDERATION + f'extend schema @link(url: "https://example.dev/lowercase/v{version}", '
        'import: ["@lowercase", "@hint"]) @composeDirective(name: "@lowercase")\n'
        f"directive @lowercase(strict: Boolean = false) on {locations}\n"
        "directive @hint on FIELD_DEFINITION\n"
    )


def refusals(*sources: tuple[str, str]) -> list[tuple[str, str]]:
    with pytest.raises(CompositionError) as raised:
        compose([SubgraphSource(name, sdl) for name, sdl in sources])
    return [(issue.code, issue.message) for issue in raised.value.issues]


def test_a_composed_directive_is_linked_defined_and_applied_in_the_supergraph() -> None:
    supergraph = compose(
        [
            SubgraphSource(
                "a",
                custom("1.0")
                + 'type Query { items: [Item!]! } type Item @key(fields: "id") @lowercase '
                "{ id: ID! name: String @lowercase(strict: true) @hint }",
            ),
            SubgraphSource(
                "b",
                custom("1.2", "FIELD_DEFINITION | OBJECT | INTERFACE")
                + 'type Item @key(fields: "id") { id: ID! tag: String @lowercase }',
            ),
        ]
    )
    sdl = print_supergraph(supergraph)

    assert '@link(url: "https://example.dev/lowercase/v1.2", import: ["@lowercase"])' in sdl
    # The definition of the highest version linked; the uncomposed @hint is dropped.
    assert (
        "directive @lowercase(strict: Boolean = false) on FIELD_DEFINITION | OBJECT | INTERFACE"
        in sdl
    )
    assert "hint" not in sdl
    assert (
        'type Item @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") @lowercase {'
        in sdl
    )
    assert "name: String @join__field(graph: A) @lowercase(strict: true)" in sdl
    assert "tag: String @join__field(graph: B) @lowercase" in sdl
    assert "lowercase" not in print_api_schema(supergraph)


@pytest.mark.parametrize(
    ("sdl", "message"),
    [
        (
            FEDERATION + 'extend schema @composeDirective(name: "@lowercase") '
            "directive @lowercase on FIELD_DEFINITION\n" + QUERY,
            'Directive "@lowercase" in subgraph "a" cannot be composed because it is not a '
            "member of a core feature",
        ),
        (
            FEDERATION + 'extend schema @link(url: "https://example.dev/lowercase/v1.0", '
            'import: ["@lowercase"]) @composeDirective(name: "@lowercase")\n' + QUERY,
            "Could not find matching directive definition for argument to @composeDirective "
            '"@lowercase" in subgraph "a".',
        ),
        (
            FEDERATION + 'extend schema @composeDirective(name: "lowercase")\n' + QUERY,
            'Argument to @composeDirective "lowercase" in subgraph "a" must have a leading "@"',
        ),
        (
            FEDERATION + 'extend schema @composeDirective(name: "@key")\n' + QUERY,
            'Composing federation directive "@key" in subgraph "a" is not supported',
        ),
    ],
)
def test_malformed_requests_are_refused(sdl: str, message: str) -> None:
    assert refusals(("a", sdl)) == [("DIRECTIVE_COMPOSITION_ERROR", message)]


def test_two_major_versions_of_one_specification_are_refused() -> None:
    found = refusals(
        ("a", custom("1.0") + QUERY),
        ("b", custom("2.0") + 'type Item @key(fields: "id") { id: ID! tag: String @lowercase }'),
    )

    assert found == [
        (
            "DIRECTIVE_COMPOSITION_ERROR",
            'Core feature "https://example.dev/lowercase" requested to be merged has major '
            "version mismatch across subgraphs",
        )
    ]


def test_a_version_part_that_is_not_a_number_is_read_as_none() -> None:
    """As "v1.x" reads as 1: "²" is a digit to str.isdigit, which int() refuses."""
    supergraph = compose([SubgraphSource("a", custom("1.²") + QUERY)])
    assert '@link(url: "https://example.dev/lowercase/v1", import: ["@lowercase"])' in (
        print_supergraph(supergraph)
    )
