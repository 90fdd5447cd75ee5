"""Satisfiability along the paths a query can take from the root (Apollo's rule), and the
planner's own stricter need: every state it can be in must reach the field."""

from __future__ import annotations

import pytest
from graphql import parse

from router.composition import CompositionError, SubgraphSource, Supergraph, compose
from router.planning import QueryPlan, format_plan, plan

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: '
    '["@key", "@shareable", "@external"])\n'
)


def planned(supergraph: Supergraph, query: str) -> QueryPlan:
    return plan(supergraph, parse(query), None)


def sources(**sdl: str) -> list[SubgraphSource]:
    return [SubgraphSource(name, LINK + text) for name, text in sdl.items()]


def issues(**sdl: str) -> list[tuple[str, str]]:
    with pytest.raises(CompositionError) as raised:
        compose(sources(**sdl))
    return [(issue.code, issue.message) for issue in raised.value.issues]


def test_a_subgraph_entered_only_for_leaves_need_not_reach_the_other_fields() -> None:
    # "b" cannot give "T.id" back, but no query path ever positions a plan at "T" in "b".
    supergraph = compose(
        sources(
            a='type Query { t: T } type T @key(fields: "id") { id: ID! sku: ID! @shareable }',
            b='type T @key(fields: "sku") { sku: ID! price: Int }',
        )
    )

    assert supergraph.types["T"].fields["price"].resolvable_in == frozenset({"b"})


def test_a_value_type_field_missing_where_the_path_leads_is_unsatisfiable() -> None:
    found = issues(
        a="type Query { office: Place } type Place @shareable { name: String }",
        b="type Query { depot: Place } type Place @shareable { name: String floor: Int }",
    )

    assert [code for code, _ in found] == ["SATISFIABILITY_ERROR"]
    assert found[0][1].startswith('Field "Place.floor" cannot be reached from subgraph "a"')


def test_a_value_type_never_returned_by_a_subgraph_is_not_checked_there() -> None:
    found = issues(
        a="type Query { office: Place } type Place @shareable { name: String floor: Int }",
        c="type Place @shareable { name: String label: String }",
    )
    # "c" returns no Place: only the path through "a" counts, and it lacks "label".
    assert [m.split(" cannot")[0] for _, m in found] == ['Field "Place.label"']


PROFILES = {
    "a": (
        'type Query { me: User } type User @key(fields: "id") '
        "{ id: ID! profile: Profile @shareable } type Profile @shareable { name: String }"
    ),
    "b": (
        'type User @key(fields: "id") { id: ID! profile: Profile @shareable } '
        "type Profile @shareable { name: String age: Int }"
    ),
}


def test_what_the_parent_subgraph_cannot_fetch_below_a_field_comes_from_another() -> None:
    supergraph = compose(sources(**PROFILES))
    plan = format_plan(planned(supergraph, "{ me { profile { name age } } }"))

    assert plan == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "a") { { me { __typename id profile { name } } } },\n'
        '    Flatten(path: "me") {\n'
        '      Fetch(service: "b") { { ... on User { __typename id } } => '
        "{ ... on User { profile { age } } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )
    # Without "age", the parent's own subgraph answers it all.
    assert format_plan(planned(supergraph, "{ me { profile { name } } }")) == (
        'QueryPlan {\n  Fetch(service: "a") { { me { profile { name } } } },\n}'
    )


def test_a_selection_two_subgraphs_fetch_together_is_split_between_them() -> None:
    supergraph = compose(
        sources(
            a=PROFILES["a"].replace("{ name: String }", "{ name: String nick: String }"),
            b=PROFILES["b"],
        )
    )

    assert format_plan(planned(supergraph, "{ me { profile { nick age } } }")) == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "a") { { me { __typename id profile { nick } } } },\n'
        '    Flatten(path: "me") {\n'
        '      Fetch(service: "b") { { ... on User { __typename id } } => '
        "{ ... on User { profile { age } } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_a_root_field_is_taken_from_the_subgraph_that_fetches_its_selection() -> None:
    supergraph = compose(
        sources(
            a="type Query { foo: Foo @shareable } type Foo @shareable { x: Int }",
            b="type Query { foo: Foo @shareable } type Foo @shareable { x: Int y: Int }",
        )
    )

    assert format_plan(planned(supergraph, "{ foo { x y } }")) == (
        'QueryPlan {\n  Fetch(service: "b") { { foo { x y } } },\n}'
    )


def test_a_query_root_field_is_split_between_two_subgraphs() -> None:
    supergraph = compose(
        sources(
            a="type Query { foo: Foo @shareable } type Foo @shareable { x: Int z: Int }",
            b="type Query { foo: Foo @shareable } type Foo @shareable { x: Int y: Int }",
        )
    )

    assert format_plan(planned(supergraph, "{ foo { x y z } }")) == (
        "QueryPlan {\n"
        "  Parallel {\n"
        '    Fetch(service: "a") { { foo { x z } } },\n'
        '    Fetch(service: "b") { { foo { y } } },\n'
        "  },\n"
        "}"
    )


THREE_WAYS = {
    "a": "type Query { foo: Foo @shareable } type Foo @shareable { x: Int p: Int }",
    "b": "type Query { foo: Foo @shareable } type Foo @shareable { x: Int q: Int }",
    "c": "type Query { foo: Foo @shareable } type Foo @shareable { x: Int r: Int }",
}


def test_a_query_root_field_is_split_over_as_many_subgraphs_as_it_needs() -> None:
    supergraph = compose(sources(**THREE_WAYS))

    assert format_plan(planned(supergraph, "{ foo { p q r } }")) == (
        "QueryPlan {\n"
        "  Parallel {\n"
        '    Fetch(service: "a") { { foo { p } } },\n'
        '    Fetch(service: "b") { { foo { q } } },\n'
        '    Fetch(service: "c") { { foo { r } } },\n'
        "  },\n"
        "}"
    )


def test_a_selection_below_an_entity_is_split_over_as_many_subgraphs_as_it_needs() -> None:
    supergraph = compose(
        sources(
            **{
                f"s{n}": 'type Query { root: T @shareable } type T @key(fields: "id") '
                f"{{ id: ID! v: V @shareable }} type V @shareable {{ a: Int b{n}: Int }}"
                for n in range(3)
            }
        )
    )

    assert format_plan(planned(supergraph, "{ root { v { b1 b2 b0 } } }")) == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "s0") { { root { __typename id v { b0 } } } },\n'
        "    Parallel {\n"
        '      Flatten(path: "root") {\n'
        '        Fetch(service: "s2") { { ... on T { __typename id } } => '
        "{ ... on T { v { b2 } } } },\n"
        "      },\n"
        '      Flatten(path: "root") {\n'
        '        Fetch(service: "s1") { { ... on T { __typename id } } => '
        "{ ... on T { v { b1 } } } },\n"
        "      },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_below_an_interface_a_field_is_asked_per_object_type_to_be_split() -> None:
    supergraph = compose(
        sources(
            a="type Query { things: [Thing] } interface Thing { info: Info } "
            'type Book implements Thing @key(fields: "id") { id: ID! info: Info @shareable } '
            "type Info @shareable { a: Int }",
            b='type Book @key(fields: "id") { id: ID! info: Info @shareable } '
            "type Info @shareable { a: Int b: Int }",
        )
    )

    assert format_plan(planned(supergraph, "{ things { info { a b } } }")) == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "a") { { things { __typename ... on Book { id info { a } } } } },\n'
        '    Flatten(path: "things.@") {\n'
        '      Fetch(service: "b") { { ... on Book { __typename id } } => '
        "{ ... on Book { info { b } } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_a_mutation_must_be_satisfiable_from_one_subgraph_as_apollo_rules() -> None:
    found = issues(
        a="type Query { x: Int } type Mutation { make: Foo @shareable } "
        "type Foo @shareable { x: Int z: Int }",
        b="type Query { y: Int } type Mutation { make: Foo @shareable } "
        "type Foo @shareable { x: Int y: Int }",
    )

    assert [(code, message.split(" cannot")[0]) for code, message in found] == [
        ("SATISFIABILITY_ERROR", 'Field "Foo.y"'),
        ("SATISFIABILITY_ERROR", 'Field "Foo.z"'),
    ]


def test_a_subscription_field_is_never_split_between_subgraphs() -> None:
    # Apollo refuses @shareable on a subscription field (INVALID_FIELD_SHARING), not on the
    # Subscription type; the planner never asks two subgraphs for one event stream either.
    found = issues(
        a="type Query { x: Int } type Subscription @shareable { feed: Foo } "
        "type Foo @shareable { x: Int z: Int }",
        b="type Query { y: Int } type Subscription @shareable { feed: Foo } "
        "type Foo @shareable { x: Int y: Int }",
    )

    assert [(code, message.split(" cannot")[0]) for code, message in found] == [
        ("UNSUPPORTED_FEATURE", 'Field "Foo.y"'),
        ("UNSUPPORTED_FEATURE", 'Field "Foo.z"'),
    ]
    assert found[0][1] == (
        'Field "Foo.y" cannot be fetched from subgraph "a", and this router cannot split the '
        "selection it is in over other subgraphs there (it splits the selection below a "
        "query's root field, and below a field of an entity by the entity's @key)"
    )


def test_an_external_key_field_of_an_extension_is_resolved_by_the_extending_subgraph() -> None:
    supergraph = compose(
        sources(
            a='type Query { products: [Product] } type Product @key(fields: "upc") '
            "{ upc: ID! name: String }",
            b='type Query { top: Product } extend type Product @key(fields: "upc") '
            "{ upc: ID! @external stock: Int }",
        )
    )

    assert supergraph.types["Product"].fields["upc"].resolvable_in == frozenset({"a", "b"})


def test_a_type_condition_no_subgraph_can_return_there_is_not_checked() -> None:
    compose(
        sources(
            a=(
                "type Query { things: [Thing] } union Thing = Book "
                'type Book @key(fields: "id") { id: ID! title: String }'
            ),
            b=(
                "type Query { movies: [Movie] } union Thing = Movie "
                "type Movie { id: ID! length: Int }"
            ),
        )
    )
