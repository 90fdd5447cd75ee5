"""Composition: merge rules, error codes and the printed API schema."""

from __future__ import annotations

import pytest

from router.composition import (
    CompositionError,
    EntityKey,
    KeyField,
    SubgraphSource,
    Supergraph,
    TypeKind,
    compose,
    print_api_schema,
)
from tests.router.fixture_subgraphs import sources

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@external"])\n'
)


def subgraph(name: str, body: str) -> SubgraphSource:
    return SubgraphSource(name, LINK + body)


def issues_of(*sources_: SubgraphSource) -> list[tuple[str, str]]:
    with pytest.raises(CompositionError) as raised:
        compose(list(sources_))
    return [(issue.code, issue.message) for issue in raised.value.issues]


def test_field_in_two_subgraphs_without_shareable_is_invalid_field_sharing() -> None:
    issues = issues_of(
        subgraph("a", "type Query { hello: String }"),
        subgraph("b", "type Query { hello: String }"),
    )

    assert issues == [
        (
            "INVALID_FIELD_SHARING",
            'Non-shareable field "Query.hello" is resolved from several subgraphs: "a", "b"; '
            'it is not @shareable in "a", "b"',
        )
    ]


def test_shareable_in_only_one_subgraph_names_the_other() -> None:
    issues = issues_of(
        subgraph("a", "type Query { hello: String @shareable }"),
        subgraph("b", "type Query { hello: String }"),
    )

    assert [code for code, _ in issues] == ["INVALID_FIELD_SHARING"]
    assert issues[0][1].endswith('it is not @shareable in "b"')


def test_key_fields_are_shareable_without_the_directive() -> None:
    supergraph = compose(
        [
            subgraph("a", 'type Query { me: User } type User @key(fields: "id") { id: ID! }'),
            subgraph("b", 'type User @key(fields: "id") { id: ID! name: String }'),
        ]
    )

    assert supergraph.types["User"].fields["id"].resolvable_in == frozenset({"a", "b"})
    assert supergraph.types["User"].fields["name"].resolvable_in == frozenset({"b"})


def test_field_types_must_be_compatible() -> None:
    issues = issues_of(
        subgraph("a", "type Query { hello: String @shareable }"),
        subgraph("b", "type Query { hello: Int! @shareable }"),
    )

    assert issues == [
        (
            "FIELD_TYPE_MISMATCH",
            'Type of field "Query.hello" is incompatible across subgraphs: it has '
            'type "String" in "a", type "Int!" in "b"',
        )
    ]


def test_field_external_everywhere_has_no_resolver() -> None:
    issues = issues_of(
        subgraph(
            "a",
            'type Query { me: User } type User @key(fields: "id") { id: ID! '
            'name: String @external greeting: String @federation__requires(fields: "name") }',
        ),
    )

    assert [code for code, _ in issues] == ["EXTERNAL_MISSING_ON_BASE"]
    assert '"User.name"' in issues[0][1]


def test_same_name_with_different_kinds_is_rejected() -> None:
    issues = issues_of(
        subgraph("a", "type Query { a: Thing } type Thing { id: ID }"),
        subgraph("b", "type Query { b: Thing } interface Thing { id: ID }"),
    )

    assert issues == [
        ("TYPE_KIND_MISMATCH", 'Type "Thing" is defined as object in "a", interface in "b"')
    ]


def test_every_issue_is_reported_not_just_the_first() -> None:
    issues = issues_of(
        subgraph("a", "type Query { x: Int y: Int @shareable }"),
        subgraph("b", "type Query { x: Int y: String @shareable }"),
    )

    assert [code for code, _ in issues] == ["INVALID_FIELD_SHARING", "FIELD_TYPE_MISMATCH"]


def test_input_types_keep_only_common_fields_and_enums_unite_values() -> None:
    supergraph = compose(
        [
            subgraph(
                "a",
                "type Query { a(f: Filter): Level }\n"
                "input Filter { text: String level: Level }\nenum Level { LOW HIGH }",
            ),
            subgraph(
                "b",
                "type Query { b(f: Filter): Level }\n"
                "input Filter { text: String limit: Int }\nenum Level { LOW CRITICAL }",
            ),
        ]
    )
    schema = supergraph.schema

    assert list(schema.get_type("Filter").fields) == ["text"]  # type: ignore[union-attr]
    assert list(schema.get_type("Level").values) == ["LOW", "HIGH", "CRITICAL"]  # type: ignore[union-attr]


def test_required_input_field_missing_in_a_subgraph_is_an_error() -> None:
    issues = issues_of(
        subgraph("a", "type Query { a(f: F): Int } input F { x: Int! y: Int }"),
        subgraph("b", "type Query { b(f: F): Int } input F { y: Int }"),
    )

    assert issues == [
        (
            "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
            'Input object field "F.x" is required in some subgraphs but does not appear '
            'in all subgraphs: it is required in "a" but does not appear in "b"',
        )
    ]


def test_keys_are_recorded_per_subgraph_with_resolvable() -> None:
    supergraph = compose(sources())
    user = supergraph.types["User"]
    key = (KeyField("id"),)

    assert user.kind is TypeKind.OBJECT
    assert user.is_entity
    assert not supergraph.types["Query"].is_entity
    assert user.keys == {
        "accounts": (EntityKey("id", key, resolvable=True),),
        "products": (EntityKey("id", key, resolvable=False),),
        "reviews": (EntityKey("id", key, resolvable=True),),
    }
    assert user.resolvable_keys("products") == ()
    assert supergraph.types["FeedItem"].possible_types == {
        "reviews": frozenset({"Review", "Product"})
    }


def test_custom_root_type_names_become_query_and_mutation() -> None:
    supergraph = compose(sources())

    assert supergraph.schema.mutation_type is not None
    assert supergraph.schema.mutation_type.name == "Mutation"
    assert set(supergraph.schema.mutation_type.fields) == {
        "renameUser",
        "createProduct",
        "addReview",
    }
    assert supergraph.schema.get_type("AccountsMutation") is None


def test_api_schema_has_no_federation_leftovers(supergraph: Supergraph) -> None:
    printed = print_api_schema(supergraph)

    for leftover in (
        "_Any",
        "_Entity",
        "_Service",
        "_entities",
        "_service",
        "@key",
        "@link",
        "@shareable",
        "federation__",
        "link__",
        "directive @",
    ):
        assert leftover not in printed


def test_api_schema_keeps_descriptions(supergraph: Supergraph) -> None:
    printed = print_api_schema(supergraph)

    assert '"""A person who can sign in."""\ntype User {' in printed
    assert '  """Reviews the user wrote."""\n  reviews: [Review!]!' in printed


def test_printed_schema_is_deterministic_whatever_the_subgraph_order() -> None:
    forward = print_api_schema(compose(sources()))
    backward = print_api_schema(compose(list(reversed(sources()))))

    assert forward == backward
    assert forward == print_api_schema(compose(sources()))


def test_supergraph_version_changes_with_any_sdl() -> None:
    first = compose(sources())
    changed = [*sources()[:-1], SubgraphSource("reviews", sources()[-1].sdl + "\n")]

    assert compose(sources()).version == first.version
    assert compose(changed).version != first.version


def test_fed1_style_extensions_fold_into_the_type() -> None:
    supergraph = compose(
        [
            subgraph("a", 'type Query { me: User } type User @key(fields: "id") { id: ID! }'),
            subgraph(
                "b",
                'type Query { ok: Boolean } extend type User @key(fields: "id") { id: ID! '
                "nick: String }",
            ),
        ]
    )

    assert supergraph.types["User"].fields["nick"].resolvable_in == frozenset({"b"})
    assert supergraph.types["User"].resolvable_keys("b")[0].fields == "id"
