"""Composition of the Federation 2 directives: what is recorded, hidden, merged or refused."""

from __future__ import annotations

import pytest

from router.composition import (
    CompositionError,
    EntityKey,
    FieldJoin,
    KeyField,
    SubgraphSource,
    compose,
    print_api_schema,
)
from tests.router.fixture_directives import LINK, directive_sources


def subgraph(name: str, body: str) -> SubgraphSource:
    return SubgraphSource(name, LINK + body)


def issues_of(*sources: SubgraphSource) -> list[tuple[str, str]]:
    with pytest.raises(CompositionError) as raised:
        compose(list(sources))
    return [(issue.code, issue.message) for issue in raised.value.issues]


def test_requires_provides_and_override_are_recorded_per_subgraph() -> None:
    supergraph = compose(directive_sources())
    product = supergraph.types["Product"]

    estimate = product.fields["shippingEstimate"]
    assert estimate.requires == {"inventory": (KeyField("weight"), KeyField("price"))}
    assert estimate.joins == {"inventory": FieldJoin(requires="weight price")}
    assert product.fields["weight"].resolvable_in == frozenset({"products"})
    assert product.fields["weight"].external_in == frozenset({"inventory"})
    author = supergraph.types["Review"].fields["author"]
    assert author.provides == {"reviews": (KeyField("username"),)}
    discount = product.fields["discount"]
    assert discount.resolvable_in == frozenset({"pricing"})
    assert discount.joins["pricing"] == FieldJoin(override="products")


def test_several_keys_per_type_are_kept_in_order() -> None:
    product = compose(directive_sources()).types["Product"]

    assert product.keys["products"] == (
        EntityKey("upc", (KeyField("upc"),)),
        EntityKey("sku", (KeyField("sku"),)),
    )


def test_compound_and_nested_keys_are_parsed_into_trees() -> None:
    supergraph = compose(
        [
            subgraph(
                "a",
                "type Query { seat: Seat } type Org @shareable { id: ID! } "
                'type Seat @key(fields: "number org { id }") { number: Int! org: Org! }',
            ),
            subgraph(
                "b",
                "type Org @shareable { id: ID! } "
                'type Seat @key(fields: "number org { id }") '
                "{ number: Int! org: Org! taken: Boolean }",
            ),
        ]
    )

    assert supergraph.types["Seat"].keys["b"][0].selection == (
        KeyField("number"),
        KeyField("org", (KeyField("id"),)),
    )


def test_inaccessible_elements_are_hidden_from_the_api_only() -> None:
    supergraph = compose(directive_sources())

    assert "internalCode" not in supergraph.schema.get_type("Product").fields  # type: ignore[union-attr]
    assert supergraph.supergraph_schema is not None
    assert "internalCode" in supergraph.supergraph_schema.get_type("Product").fields  # type: ignore[union-attr]
    assert "internalCode" not in print_api_schema(supergraph)
    assert supergraph.inaccessible == frozenset({"Product.internalCode"})


def test_visible_field_of_an_inaccessible_type_is_refused() -> None:
    issues = issues_of(
        subgraph("a", "type Query { secret: Secret } type Secret @inaccessible { id: ID }"),
    )

    assert issues == [
        (
            "REFERENCED_INACCESSIBLE",
            '"Query.secret" is visible but its type "Secret" is @inaccessible',
        )
    ]


def test_tags_are_kept_per_coordinate() -> None:
    assert compose(directive_sources()).tags == {"User.name": ("pii",)}


def test_override_makes_the_source_stop_resolving_without_sharing() -> None:
    supergraph = compose(
        [
            subgraph("a", 'type Query { t: T } type T @key(fields: "id") { id: ID! n: Int }'),
            subgraph("b", 'type T @key(fields: "id") { id: ID! n: Int @override(from: "a") }'),
        ]
    )

    assert supergraph.types["T"].fields["n"].resolvable_in == frozenset({"b"})


def test_a_context_used_but_never_set_is_refused_as_apollo_refuses_it() -> None:
    issues = issues_of(
        subgraph(
            "a",
            'type Query { t: T } type T @key(fields: "id") { id: ID! '
            'f(x: String @federation__fromContext(field: "$ctx { name }")): Int }',
        ),
    )

    assert (
        "CONTEXT_NOT_SET",
        '[a] Context "ctx" is used at location "T.f(x:)" but is never set.',
    ) in issues


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'type T @key(fields: "id") @federation__context(name: "c") { id: ID! n: Int }',
            '@context on "T" in "b" is not supported by this router',
        ),
    ],
)
def test_unsupported_features_are_refused(body: str, message: str) -> None:
    issues = issues_of(
        subgraph("a", 'type Query { t: T } type T @key(fields: "id") { id: ID! n: Int }'),
        subgraph("b", body),
    )

    assert ("UNSUPPORTED_FEATURE", message) in issues


def test_requires_on_a_field_the_subgraph_resolves_itself_is_refused() -> None:
    issues = issues_of(
        subgraph("a", 'type Query { t: T } type T @key(fields: "id") { id: ID! w: Int }'),
        subgraph("b", 'type T @key(fields: "id") { id: ID! w: Int x: Int @requires(fields: "w") }'),
    )

    assert (
        "REQUIRES_FIELDS_MISSING_EXTERNAL",
        '@requires(fields: "w") on "T.x" in "b": "T.w" must be @external',
    ) in issues


def test_field_unreachable_from_a_subgraph_is_a_satisfiability_error() -> None:
    issues = issues_of(
        subgraph("a", 'type Query { t: T } type T @key(fields: "id") { id: ID! }'),
        subgraph("b", 'type T @key(fields: "sku") { sku: ID! price: Int }'),
    )

    # "b" is never entered (nothing returns its key), so "T.id" is not checked from it.
    assert [message.split(" cannot")[0] for _, message in issues] == [
        'Field "T.price"',
        'Field "T.sku"',
    ]
    assert {code for code, _ in issues} == {"SATISFIABILITY_ERROR"}
    assert issues[0][1] == (
        'Field "T.price" cannot be reached from subgraph "a", which returns "T" on a query '
        'path: no subgraph resolving it ("b") has a resolvable @key (with its @requires) that '
        "it can provide, directly or through another subgraph"
    )


def test_key_known_to_a_third_subgraph_satisfies_the_field() -> None:
    supergraph = compose(
        [
            subgraph("a", 'type Query { t: T } type T @key(fields: "id") { id: ID! }'),
            subgraph("b", 'type T @key(fields: "sku") { sku: ID! price: Int }'),
            subgraph("c", 'type T @key(fields: "id") @key(fields: "sku") { id: ID! sku: ID! }'),
        ]
    )

    assert supergraph.types["T"].fields["price"].resolvable_in == frozenset({"b"})


def enum_sources(a_usage: str, b_usage: str) -> list[SubgraphSource]:
    return [
        subgraph("a", f"type Query {{ {a_usage} }} enum Level {{ LOW HIGH }}"),
        subgraph("b", f"type Query {{ {b_usage} }} enum Level {{ LOW CRITICAL }}"),
    ]


def test_output_only_enum_takes_the_union_of_values() -> None:
    supergraph = compose(enum_sources("a: Level", "b: Level"))

    assert list(supergraph.schema.get_type("Level").values) == ["LOW", "HIGH", "CRITICAL"]  # type: ignore[union-attr]


def test_input_only_enum_takes_the_intersection_of_values() -> None:
    supergraph = compose(enum_sources("a(l: Level): Int", "b(l: Level): Int"))

    assert list(supergraph.schema.get_type("Level").values) == ["LOW"]  # type: ignore[union-attr]


def test_enum_used_both_ways_must_match_everywhere() -> None:
    issues = issues_of(*enum_sources("a(l: Level): Level", "b: Int"))

    assert issues == [
        (
            "ENUM_VALUE_MISMATCH",
            'Enum type "Level" is used as both input type and output type, but value "HIGH" '
            'is not defined in all the subgraphs defining "Level": it is defined in "a" but '
            'not in "b"',
        ),
        (
            "ENUM_VALUE_MISMATCH",
            'Enum type "Level" is used as both input type and output type, but value '
            '"CRITICAL" is not defined in all the subgraphs defining "Level": it is defined '
            'in "b" but not in "a"',
        ),
    ]


def test_federation_1_subgraphs_compose_with_extends_and_external_keys() -> None:
    supergraph = compose(
        [
            SubgraphSource(
                "accounts",
                'type Query { me: User } type User @key(fields: "id") { id: ID! name: String } '
                "type Money { amount: Int }",
            ),
            SubgraphSource(
                "reviews",
                'type User @key(fields: "id") @extends { id: ID! @external reviews: [String] '
                "wallet: Money } type Money { amount: Int }",
            ),
        ]
    )
    user = supergraph.types["User"]

    assert user.fields["id"].resolvable_in == frozenset({"accounts", "reviews"})
    assert user.fields["reviews"].resolvable_in == frozenset({"reviews"})
    assert user.extension_in == frozenset({"reviews"})
    assert supergraph.types["Money"].fields["amount"].resolvable_in == frozenset(
        {"accounts", "reviews"}
    )


def test_field_provided_elsewhere_must_be_shareable_where_it_is_resolved() -> None:
    issues = issues_of(
        subgraph("a", 'type Query { u: U } type U @key(fields: "id") { id: ID! n: String }'),
        subgraph(
            "b",
            'type Query { v: U @provides(fields: "n") } '
            'type U @key(fields: "id") { id: ID! n: String @external }',
        ),
    )

    assert issues == [
        (
            "INVALID_FIELD_SHARING",
            'Non-shareable field "U.n" is resolved from several subgraphs: "a", "b"; '
            'it is not @shareable in "a"',
        )
    ]
