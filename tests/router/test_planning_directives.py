"""Planner, one Federation 2 directive or tricky case per test (readable-plan snapshots).

The fixture supergraph is SDL only (``fixture_directives``): planning needs no subgraph.
"""

from __future__ import annotations

import pytest
from graphql import parse

from router.composition import Supergraph, compose
from router.planning import format_plan, plan
from tests.router.fixture_directives import directive_sources


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return compose(directive_sources())


def planned(supergraph: Supergraph, operation: str) -> str:
    return format_plan(plan(supergraph, parse(operation), None))


def test_requires_fields_come_from_the_parent_fetch_and_go_in_the_representation(
    supergraph: Supergraph,
) -> None:
    assert planned(supergraph, '{ topProducts { name shippingEstimate(zone: "EU") } }') == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "products") { { topProducts { __typename upc weight price '
        "name } } },\n"
        '    Flatten(path: "topProducts.@") {\n'
        '      Fetch(service: "inventory") { { ... on Product { __typename upc weight '
        'price } } => { ... on Product { shippingEstimate(zone: "EU") } } },\n'
        "    },\n"
        "  },\n"
        "}"
    )


def test_requires_fields_the_parent_lacks_are_fetched_first_in_one_call(
    supergraph: Supergraph,
) -> None:
    assert planned(
        supergraph, '{ latestReviews { body product { shippingEstimate(zone: "EU") } } }'
    ) == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "reviews") { { latestReviews { body product { __typename upc '
        "} } } },\n"
        '    Flatten(path: "latestReviews.@.product") {\n'
        '      Fetch(service: "products") { { ... on Product { __typename upc } } => { '
        "... on Product { weight price } } },\n"
        "    },\n"
        '    Flatten(path: "latestReviews.@.product") {\n'
        '      Fetch(service: "inventory") { { ... on Product { __typename upc weight '
        'price } } => { ... on Product { shippingEstimate(zone: "EU") } } },\n'
        "    },\n"
        "  },\n"
        "}"
    )


def test_provides_lets_the_parent_answer_without_an_entity_fetch(supergraph: Supergraph) -> None:
    assert planned(supergraph, "{ latestReviews { author { username name } } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "reviews") { { latestReviews { author { __typename id '
        "username } } } },\n"
        '    Flatten(path: "latestReviews.@.author") {\n'
        '      Fetch(service: "accounts") { { ... on User { __typename id } } => { ... '
        "on User { name } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_provides_on_a_nested_path_covers_the_whole_path(supergraph: Supergraph) -> None:
    assert planned(supergraph, "{ spotlight { product { name reviews { body } } } }") == (
        "QueryPlan {\n"
        '  Fetch(service: "reviews") { { spotlight { product { name reviews { body } } } '
        "} },\n"
        "}"
    )


def test_the_same_field_without_provides_is_fetched_from_its_owner(supergraph: Supergraph) -> None:
    assert planned(supergraph, "{ latestReviews { product { name } } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "reviews") { { latestReviews { product { __typename upc } } '
        "} },\n"
        '    Flatten(path: "latestReviews.@.product") {\n'
        '      Fetch(service: "products") { { ... on Product { __typename upc } } => { '
        "... on Product { name } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_override_sends_the_field_to_the_overriding_subgraph(supergraph: Supergraph) -> None:
    assert planned(supergraph, "{ topProducts { discount } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "products") { { topProducts { __typename upc } } },\n'
        '    Flatten(path: "topProducts.@") {\n'
        '      Fetch(service: "pricing") { { ... on Product { __typename upc } } => { '
        "... on Product { discount } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_key_mashup_goes_through_the_subgraph_knowing_both_keys(supergraph: Supergraph) -> None:
    assert planned(supergraph, "{ latestReviews { product { legacyCode } } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "reviews") { { latestReviews { product { __typename upc } } '
        "} },\n"
        '    Flatten(path: "latestReviews.@.product") {\n'
        '      Fetch(service: "products") { { ... on Product { __typename upc } } => { '
        "... on Product { sku } } },\n"
        "    },\n"
        '    Flatten(path: "latestReviews.@.product") {\n'
        '      Fetch(service: "legacy") { { ... on Product { __typename sku } } => { ... '
        "on Product { legacyCode } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_union_type_conditions_split_per_member(supergraph: Supergraph) -> None:
    assert planned(
        supergraph, '{ search(text: "x") { ... on Review { body } ... on Article { title } } }'
    ) == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "search") { { search(text: "x") { __typename ... on Review { '
        "id } ... on Article { title } } } },\n"
        '    Flatten(path: "search.@") {\n'
        '      Fetch(service: "reviews") { { ... on Review { __typename id } } => { ... '
        "on Review { body } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_interface_fields_missing_in_the_subgraph_are_asked_per_concrete_type(
    supergraph: Supergraph,
) -> None:
    assert planned(supergraph, "{ items { id title ... on Review { body } } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "search") { { items { __typename id title } } },\n'
        '    Flatten(path: "items.@") {\n'
        '      Fetch(service: "reviews") { { ... on Review { __typename id } } => { ... '
        "on Review { body } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_key_fields_alone_need_no_entity_fetch(supergraph: Supergraph) -> None:
    assert planned(supergraph, "{ latestReviews { product { upc } author { id } } }") == (
        "QueryPlan {\n"
        '  Fetch(service: "reviews") { { latestReviews { product { upc } author { id } } '
        "} },\n"
        "}"
    )


def test_sibling_fetches_to_one_subgraph_become_one_call(supergraph: Supergraph) -> None:
    assert planned(
        supergraph, "{ latestReviews { author { name } editor { name username } } }"
    ) == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "reviews") { { latestReviews { author { __typename id } '
        "editor { __typename id } } } },\n"
        '    Flatten(paths: ["latestReviews.@.author", "latestReviews.@.editor"]) {\n'
        '      Fetch(service: "accounts") { { ... on User { __typename id } } => { ... '
        "on User { name username } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_siblings_with_clashing_response_keys_stay_apart(supergraph: Supergraph) -> None:
    assert planned(
        supergraph, "{ latestReviews { author { n: name } editor { n: username } } }"
    ) == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "reviews") { { latestReviews { author { __typename id } '
        "editor { __typename id } } } },\n"
        "    Parallel {\n"
        '      Flatten(path: "latestReviews.@.author") {\n'
        '        Fetch(service: "accounts") { { ... on User { __typename id } } => { ... '
        "on User { n: name } } },\n"
        "      },\n"
        '      Flatten(path: "latestReviews.@.editor") {\n'
        '        Fetch(service: "accounts") { { ... on User { __typename id } } => { ... '
        "on User { n: username } } },\n"
        "      },\n"
        "    },\n"
        "  },\n"
        "}"
    )
