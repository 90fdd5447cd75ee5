"""Planner: fixture supergraph + operation → expected readable plan (inline snapshots)."""

from __future__ import annotations

import pytest
from graphql import parse

from router.composition import Supergraph
from router.planning import (
    FetchNode,
    FlattenNode,
    PlanningError,
    PlanNode,
    QueryPlan,
    format_plan,
    plan,
)


def planned(supergraph: Supergraph, operation: str, name: str | None = None) -> QueryPlan:
    return plan(supergraph, parse(operation), name)


def fetches(node: PlanNode | None) -> list[FetchNode]:
    """Every fetch of a plan in execution order."""
    if node is None:
        return []
    if isinstance(node, FetchNode):
        return [node]
    if isinstance(node, FlattenNode):
        return [node.node]
    if hasattr(node, "nodes"):
        return [fetch for child in node.nodes for fetch in fetches(child)]
    return []


def test_root_fetch_only(supergraph: Supergraph) -> None:
    query_plan = planned(supergraph, "{ me { name email } }")

    assert format_plan(query_plan) == (
        'QueryPlan {\n  Fetch(service: "accounts") { { me { name email } } },\n}'
    )
    assert fetches(query_plan.node)[0].operation == "query { me { name email } }"


def test_entity_fetch_across_boundary(supergraph: Supergraph) -> None:
    query_plan = planned(supergraph, "{ reviews { body author { name email } } }")

    assert format_plan(query_plan) == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "reviews") { { reviews { body author { __typename id } } } },\n'
        '    Flatten(path: "reviews.@.author") {\n'
        '      Fetch(service: "accounts") { { ... on User { __typename id } } => '
        "{ ... on User { name email } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )
    assert fetches(query_plan.node)[1].operation == (
        "query($representations: [_Any!]!) { _entities(representations: $representations) "
        "{ ... on User { name email } } }"
    )


def test_nested_chain_accounts_reviews_accounts(supergraph: Supergraph) -> None:
    query_plan = planned(supergraph, "query Mine { me { name reviews { body author { email } } } }")

    assert format_plan(query_plan) == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "accounts") { { me { __typename id name } } },\n'
        '    Flatten(path: "me") {\n'
        '      Fetch(service: "reviews") { { ... on User { __typename id } } => '
        "{ ... on User { reviews { body author { __typename id } } } } },\n"
        "    },\n"
        '    Flatten(path: "me.reviews.@.author") {\n'
        '      Fetch(service: "accounts") { { ... on User { __typename id } } => '
        "{ ... on User { email } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )
    assert [f.operation_name for f in fetches(query_plan.node)] == [
        "Mine__accounts__0",
        "Mine__reviews__1",
        "Mine__accounts__2",
    ]


def test_aliases_are_kept_in_fetches_and_paths(supergraph: Supergraph) -> None:
    query_plan = planned(
        supergraph, "{ all: reviews { text: body writer: author { nick: name } } }"
    )

    assert format_plan(query_plan) == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "reviews") { { all: reviews { text: body writer: author '
        "{ __typename id } } } },\n"
        '    Flatten(path: "all.@.writer") {\n'
        '      Fetch(service: "accounts") { { ... on User { __typename id } } => '
        "{ ... on User { nick: name } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_named_and_inline_fragments_are_inlined(supergraph: Supergraph) -> None:
    query_plan = planned(
        supergraph,
        """
        query { me { ...Person } feed { ...Item } }
        fragment Person on User { name ... on User { email } }
        fragment Item on FeedItem {
          __typename
          ... on Review { body }
          ... on Product { name }
        }
        """,
    )

    assert format_plan(query_plan) == (
        "QueryPlan {\n"
        "  Parallel {\n"
        '    Fetch(service: "accounts") { { me { name email } } },\n'
        "    Sequence {\n"
        '      Fetch(service: "reviews") { { feed { __typename ... on Review { body } '
        "... on Product { upc } } } },\n"
        '      Flatten(path: "feed.@") {\n'
        '        Fetch(service: "products") { { ... on Product { __typename upc } } => '
        "{ ... on Product { name } } },\n"
        "      },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_variables_are_declared_only_where_used(supergraph: Supergraph) -> None:
    query_plan = planned(
        supergraph,
        """
        query Shop($first: Int = 2, $id: ID!, $unused: String) {
          topProducts(first: $first) { name reviews { rating } }
          review(id: $id) { body }
        }
        """,
    )

    operations = {(f.subgraph, f.operation) for f in fetches(query_plan.node)}
    assert operations == {
        (
            "products",
            "query Shop__products__0($first: Int = 2) "
            "{ topProducts(first: $first) { __typename upc name } }",
        ),
        (
            "reviews",
            "query Shop__reviews__1($representations: [_Any!]!) { _entities(representations: "
            "$representations) { ... on Product { reviews { rating } } } }",
        ),
        ("reviews", "query Shop__reviews__2($id: ID!) { review(id: $id) { body } }"),
    }
    assert [f.variable_usages for f in fetches(query_plan.node)] == [("first",), (), ("id",)]


def test_skip_and_include_are_passed_through_with_their_variables(supergraph: Supergraph) -> None:
    query_plan = planned(
        supergraph,
        """
        query ($withReviews: Boolean!, $noPrice: Boolean!) {
          topProducts {
            name price @skip(if: $noPrice) ... @include(if: $withReviews) { reviews { body } }
          }
        }
        """,
    )

    assert format_plan(query_plan) == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "products") { { topProducts { __typename upc name '
        "price @skip(if: $noPrice) } } },\n"
        '    Flatten(path: "topProducts.@") {\n'
        '      Fetch(service: "reviews") { { ... on Product { __typename upc } } => '
        "{ ... on Product { ... @include(if: $withReviews) { reviews { body } } } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )
    assert [f.variable_usages for f in fetches(query_plan.node)] == [
        ("noPrice",),
        ("withReviews",),
    ]


def test_root_fields_of_two_subgraphs_run_in_parallel(supergraph: Supergraph) -> None:
    query_plan = planned(supergraph, "{ me { name } topProducts { name } users { email } }")

    assert format_plan(query_plan) == (
        "QueryPlan {\n"
        "  Parallel {\n"
        '    Fetch(service: "accounts") { { me { name } users { email } } },\n'
        '    Fetch(service: "products") { { topProducts { name } } },\n'
        "  },\n"
        "}"
    )


def test_mutation_fields_run_in_order_merging_only_neighbours(supergraph: Supergraph) -> None:
    query_plan = planned(
        supergraph,
        """
        mutation {
          first: renameUser(id: "u1", name: "A") { name }
          second: renameUser(id: "u2", name: "B") { name }
          addReview(body: "Nice", upc: "p1") { body author { name } }
          third: renameUser(id: "u1", name: "C") { name }
        }
        """,
    )

    assert format_plan(query_plan) == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "accounts") { { first: renameUser(id: "u1", name: "A") { name } '
        'second: renameUser(id: "u2", name: "B") { name } } },\n'
        '    Fetch(service: "reviews") { { addReview(body: "Nice", upc: "p1") '
        "{ body author { __typename id } } } },\n"
        '    Flatten(path: "addReview.author") {\n'
        '      Fetch(service: "accounts") { { ... on User { __typename id } } => '
        "{ ... on User { name } } },\n"
        "    },\n"
        '    Fetch(service: "accounts") { { third: renameUser(id: "u1", name: "C") { name } } },\n'
        "  },\n"
        "}"
    )
    assert fetches(query_plan.node)[0].operation.startswith("mutation {")
    assert fetches(query_plan.node)[2].operation.startswith("query(")


def test_dependent_fetches_of_one_step_run_in_parallel(supergraph: Supergraph) -> None:
    query_plan = planned(supergraph, "{ reviews { author { name } product { name } } }")

    assert format_plan(query_plan) == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "reviews") { { reviews { author { __typename id } '
        "product { __typename upc } } } },\n"
        "    Parallel {\n"
        '      Flatten(path: "reviews.@.author") {\n'
        '        Fetch(service: "accounts") { { ... on User { __typename id } } => '
        "{ ... on User { name } } },\n"
        "      },\n"
        '      Flatten(path: "reviews.@.product") {\n'
        '        Fetch(service: "products") { { ... on Product { __typename upc } } => '
        "{ ... on Product { name } } },\n"
        "      },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_typename_and_introspection_are_answered_by_the_router(supergraph: Supergraph) -> None:
    assert format_plan(planned(supergraph, "{ __typename }")) == "QueryPlan {\n}"
    assert format_plan(
        planned(supergraph, '{ __type(name: "User") { name } me { __typename } }')
    ) == (
        "QueryPlan {\n"
        "  Parallel {\n"
        '    Introspection { { __type(name: "User") { name } } },\n'
        '    Fetch(service: "accounts") { { me { __typename } } },\n'
        "  },\n"
        "}"
    )


def test_alias_clashing_with_a_needed_key_is_refused(supergraph: Supergraph) -> None:
    with pytest.raises(PlanningError) as raised:
        planned(supergraph, "{ reviews { author { id: name reviews { body } } } }")

    assert raised.value.code == "GRAPHQL_VALIDATION_FAILED"
    assert 'Response key "id" on "User" is reserved' in raised.value.message


def test_unknown_operation_name_is_a_bad_request(supergraph: Supergraph) -> None:
    with pytest.raises(PlanningError) as raised:
        planned(supergraph, "query A { me { name } }", "B")

    assert raised.value.code == "BAD_REQUEST"
