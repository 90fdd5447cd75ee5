"""Composition's type-merging rules: field types by subtyping, arguments, input types and
enums by intersection or usage, defaults, descriptions, and ``@inaccessible`` rules."""

from __future__ import annotations

import pytest
from graphql import print_type

from router.composition import (
    CompositionError,
    SubgraphSource,
    Supergraph,
    compose,
    print_api_schema,
    print_supergraph,
)
from router.composition.supergraph_reader import read_supergraph

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@inaccessible"])\n'
)


def composed(*bodies: str) -> Supergraph:
    return compose([SubgraphSource(chr(ord("a") + i), LINK + b) for i, b in enumerate(bodies)])


def codes(*bodies: str) -> list[str]:
    with pytest.raises(CompositionError) as raised:
        composed(*bodies)
    return [issue.code for issue in raised.value.issues]


def printed(supergraph: Supergraph, type_name: str) -> str:
    named = supergraph.schema.get_type(type_name)
    assert named is not None
    return print_type(named)


def test_output_field_types_merge_to_the_most_general_one() -> None:
    supergraph = composed(
        "type Query { a: T tags: [String!]! @shareable } "
        "type T @shareable { id: ID! label: String }",
        "type Query { b: T tags: [String] @shareable } type T @shareable { id: ID label: String! }",
    )

    assert printed(supergraph, "T") == "type T {\n  id: ID\n  label: String\n}"
    assert str(supergraph.schema.query_type.fields["tags"].type) == "[String]"  # type: ignore[union-attr]
    # Each subgraph is still sent documents against its own declaration.
    assert supergraph.types["T"].fields["id"].type_refs == {"a": "ID!", "b": "ID"}


def test_a_union_or_interface_is_more_general_than_its_members() -> None:
    supergraph = composed(
        "type Query { pet: Pet @shareable person: Person @shareable } union Pet = Dog | Cat "
        "type Dog @shareable { name: String } type Cat { lives: Int } "
        "interface Person { name: String } type Keeper implements Person @shareable "
        "{ name: String }",
        "type Query { pet: Dog @shareable person: Keeper @shareable } "
        "type Dog @shareable { name: String } type Keeper @shareable { name: String }",
    )

    fields = supergraph.schema.query_type.fields  # type: ignore[union-attr]
    assert (str(fields["pet"].type), str(fields["person"].type)) == ("Pet", "Person")
    assert supergraph.types["Query"].fields["pet"].output_type == "Pet"


def test_an_object_type_and_a_scalar_are_incompatible() -> None:
    assert codes(
        "type Query { a: T } type T @shareable { x: Int } type U @shareable { y: Int }",
        "type Query { b: T2 } type T2 { x: U } type U @shareable { y: Int } "
        "type T @shareable { x: T2 }",
    ) == ["FIELD_TYPE_MISMATCH"]


def test_incompatible_output_types_and_lists_against_single_values_are_refused() -> None:
    assert codes("type Query { f: Int @shareable }", "type Query { f: String @shareable }") == [
        "FIELD_TYPE_MISMATCH"
    ]
    assert codes("type Query { f: [Int] @shareable }", "type Query { f: Int @shareable }") == [
        "FIELD_TYPE_MISMATCH"
    ]


def test_argument_types_merge_to_the_most_specific_one() -> None:
    supergraph = composed(
        "type Query { f(x: Int!, y: [Int]): Int @shareable }",
        "type Query { f(x: Int, y: [Int!]): Int @shareable }",
    )

    args = supergraph.schema.query_type.fields["f"].args  # type: ignore[union-attr]
    assert (str(args["x"].type), str(args["y"].type)) == ("Int!", "[Int!]")
    assert codes(
        "type Query { f(x: Int): Int @shareable }", "type Query { f(x: ID): Int @shareable }"
    ) == ["FIELD_ARGUMENT_TYPE_MISMATCH"]


def test_argument_defaults_are_kept_only_when_every_subgraph_agrees() -> None:
    supergraph = composed(
        "type Query { f(same: Int = 1, some: Int = 2, y: Int): Int @shareable }",
        "type Query { f(same: Int = 1, some: Int, y: Int): Int @shareable }",
    )

    assert (
        printed(supergraph, "Query")
        == "type Query {\n  f(same: Int = 1, some: Int, y: Int): Int\n}"
    )
    assert codes(
        "type Query { f(x: Int = 1): Int @shareable }",
        "type Query { f(x: Int = 2): Int @shareable }",
    ) == ["FIELD_ARGUMENT_DEFAULT_MISMATCH"]
    assert codes(
        "type Query { a(i: I): Int } input I { x: Int = 1 }",
        "type Query { b(i: I): Int } input I { x: Int = 3 }",
    ) == ["INPUT_FIELD_DEFAULT_MISMATCH"]


def test_optional_arguments_and_input_fields_missing_somewhere_are_dropped() -> None:
    supergraph = composed(
        "type Query { f(x: Int, debug: Boolean): Int @shareable a(i: I): Int } "
        "input I { x: Int y: Int }",
        "type Query { f(x: Int): Int @shareable b(i: I): Int } input I { x: Int! z: Int }",
    )

    assert list(supergraph.schema.query_type.fields["f"].args) == ["x"]  # type: ignore[union-attr]
    assert printed(supergraph, "I") == "input I {\n  x: Int!\n}"
    assert codes(
        "type Query { a(i: I): Int } input I { y: Int }",
        "type Query { b(i: I): Int } input I { x: Int }",
    ) == ["EMPTY_MERGED_INPUT_TYPE"]


def test_enums_merge_by_usage() -> None:
    supergraph = composed(
        "type Query { out: Out count(k: In): Int } enum Out { A B } enum In { A B C }",
        "type Query { out2: Out total(k: In): Int } enum Out { B C } enum In { B C D }",
    )

    assert printed(supergraph, "Out") == "enum Out {\n  A\n  B\n  C\n}"
    assert printed(supergraph, "In") == "enum In {\n  B\n  C\n}"
    assert codes(
        "type Query { a(s: S): S } enum S { A B }", "type Query { b: S } enum S { A C }"
    ) == ["ENUM_VALUE_MISMATCH", "ENUM_VALUE_MISMATCH"]
    assert codes(
        "type Query { a(s: S): Int } enum S { A }", "type Query { b(s: S): Int } enum S { B }"
    ) == ["EMPTY_MERGED_ENUM_TYPE"]


def test_inaccessible_values_stay_out_of_enum_intersections() -> None:
    supergraph = composed(
        "type Query { a(s: S): S } enum S { A B C @inaccessible }",
        "type Query { b: S } enum S { A B }",
    )

    assert printed(supergraph, "S") == "enum S {\n  A\n  B\n}"
    assert supergraph.supergraph_schema is not None
    assert "C" in supergraph.supergraph_schema.get_type("S").values  # type: ignore[union-attr]


def test_the_most_used_description_wins() -> None:
    supergraph = composed(
        '"one" type Query { a: T } type T @shareable { "x1" x: Int }',
        '"two" type Query { b: T } type T @shareable { "x2" x: Int }',
        'type Query { c: T } "" type T @shareable { "x2" x: Int }',
    )

    assert supergraph.schema.get_type("T").fields["x"].description == "x2"  # type: ignore[union-attr]
    assert supergraph.schema.query_type.description == "one"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("bodies", "code"),
    [
        (("type Query { a: T } type T @inaccessible { x: Int }",), "REFERENCED_INACCESSIBLE"),
        (("type Query { a: T } type T { x: Int @inaccessible }",), "ONLY_INACCESSIBLE_CHILDREN"),
        (("type Query { s: S } enum S { A @inaccessible }",), "ONLY_INACCESSIBLE_CHILDREN"),
        (
            ("type Query { u: U } union U = A type A @inaccessible { x: Int }",),
            "ONLY_INACCESSIBLE_CHILDREN",
        ),
        (("type Query { f(x: Int! @inaccessible): Int }",), "REQUIRED_INACCESSIBLE"),
        (
            ("type Query { f(i: I): Int } input I { x: Int! @inaccessible y: Int }",),
            "REQUIRED_INACCESSIBLE",
        ),
        (
            (
                "type Query { n: N } interface N { x: Int } "
                "type T implements N { x: Int @inaccessible y: Int }",
            ),
            "IMPLEMENTED_BY_INACCESSIBLE",
        ),
        (("type Query @inaccessible { a: Int }",), "QUERY_ROOT_TYPE_INACCESSIBLE"),
        (
            ("type Query { f(s: S = B): Int } enum S { A B @inaccessible }",),
            "DEFAULT_VALUE_USES_INACCESSIBLE",
        ),
        (
            (
                "type Query { a(i: I): Int } input I { x: Int y: Int! @inaccessible }",
                "type Query { b(i: I): Int } input I { x: Int }",
            ),
            "REQUIRED_INACCESSIBLE",
        ),
    ],
)
def test_inaccessible_rules(bodies: tuple[str, ...], code: str) -> None:
    assert code in codes(*bodies)


def test_inaccessible_elements_leave_the_api_but_compose() -> None:
    supergraph = composed(
        "type Query { a: T f(x: Int @inaccessible, y: Int): Int u: U s: S } "
        "type T @shareable { x: Int y: Int @inaccessible } union U = A | B "
        "type A { a: Int } type B @inaccessible { b: Int } enum S { ON OFF @inaccessible }",
        "type Query { b: T } type T @shareable { x: Int y: Int }",
    )

    assert printed(supergraph, "T") == "type T {\n  x: Int\n}"
    assert printed(supergraph, "U") == "union U = A"
    assert printed(supergraph, "S") == "enum S {\n  ON\n}"
    assert list(supergraph.schema.query_type.fields["f"].args) == ["y"]  # type: ignore[union-attr]
    assert supergraph.schema.get_type("B") is None
    assert {"T.y", "B", "S.OFF", "Query.f(x:)"} <= supergraph.inaccessible


EXTERNAL_LINK = LINK.replace('"@inaccessible"]', '"@inaccessible", "@external", "@requires"]')
BASE = EXTERNAL_LINK + 'type Query { p: P } type P @key(fields: "id") { id: ID! '
EXTENDING = EXTERNAL_LINK + 'type P @key(fields: "id") { id: ID! '


def external_codes(base_field: str, external_field: str, requires: str = "w") -> list[str]:
    sources = [
        SubgraphSource("a", BASE + base_field + " }"),
        SubgraphSource(
            "b", EXTENDING + f'{external_field} @external c: Int @requires(fields: "{requires}") }}'
        ),
    ]
    try:
        compose(sources)
    except CompositionError as error:
        return [issue.code for issue in error.issues]
    return []


def test_external_declarations_do_not_merge_but_must_agree() -> None:
    assert external_codes("w: Int", "w: Int") == []
    assert external_codes("w: Int", "w: Int!") == ["EXTERNAL_TYPE_MISMATCH"]
    assert external_codes("w: Int!", "w: Int") == ["EXTERNAL_TYPE_MISMATCH"]
    assert external_codes("w(u: Int): Int", "w: Int") == ["EXTERNAL_ARGUMENT_MISSING"]
    assert external_codes("w(u: Int): Int", "w(u: Int!): Int", "w(u: 1)") == [
        "EXTERNAL_ARGUMENT_TYPE_MISMATCH"
    ]
    assert external_codes("w(u: Int = 1): Int", "w(u: Int = 2): Int", "w(u: 1)") == [
        "EXTERNAL_ARGUMENT_DEFAULT_MISMATCH"
    ]


def test_an_external_declaration_may_be_a_subtype_when_the_definitions_differ() -> None:
    supergraph = compose(
        [
            SubgraphSource("a", BASE + "w: Int @shareable }"),
            SubgraphSource("b", EXTENDING + "w: Int! @shareable }"),
            SubgraphSource("c", EXTENDING + 'w: Int! @external c: Int @requires(fields: "w") }'),
        ]
    )

    assert supergraph.types["P"].fields["w"].type_refs == {"a": "Int", "b": "Int!", "c": "Int!"}


def test_the_supergraph_records_each_subgraph_type_where_they_differ() -> None:
    supergraph = composed(
        "type Query { a: T } type T @shareable { id: ID! label: String }",
        "type Query { b: T } type T @shareable { id: ID label: String }",
    )

    printed_sdl = print_supergraph(supergraph)
    assert 'id: ID @join__field(graph: A, type: "ID!") @join__field(graph: B, type: "ID")' in (
        printed_sdl
    )
    assert "  label: String\n" in printed_sdl


def test_merged_types_and_federation_1_subgraphs_read_back_from_the_supergraph() -> None:
    original = compose(
        [
            SubgraphSource(
                "a",
                LINK + "type Query { a: T pet: Pet @shareable } union Pet = Dog | Cat "
                "type Dog @shareable { name: String } type Cat { lives: Int } "
                "type T @shareable { id: ID! f(x: Int!): Int secret: String @inaccessible }",
            ),
            SubgraphSource(
                "b",
                LINK + "type Query { b: T pet: Dog @shareable } type Dog @shareable "
                "{ name: String } type T @shareable { id: ID f(x: Int): Int secret: String }",
            ),
            SubgraphSource(
                "c",
                'extend type Query { u: User } type User @key(fields: "id") { id: ID! n: Int }',
            ),
            SubgraphSource(
                "d", 'extend type User @key(fields: "id") { id: ID! @external age: Int }'
            ),
        ]
    )

    back = read_supergraph(print_supergraph(original))

    assert print_supergraph(back) == print_supergraph(original)
    assert print_api_schema(back) == print_api_schema(original)
    assert back.types["T"].fields["id"].type_refs == {"a": "ID!", "b": "ID"}
    assert back.types["Query"].fields["pet"].type_refs == {"a": "Pet", "b": "Dog"}
