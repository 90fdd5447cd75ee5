"""Planner, abstract types across subgraphs: entity interfaces, ``@interfaceObject``, type
conditions a subgraph does not know, ``@override`` through an interface (plan snapshots).

The fixture supergraph is SDL only (``fixture_interfaces``): planning needs no subgraph.
"""

from __future__ import annotations

import pytest
from graphql import parse

from router.composition import Supergraph, compose
from router.planning import FlattenNode, SequenceNode, format_plan, plan
from tests.router.fixture_interfaces import interface_sources


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return compose(interface_sources())


def planned(supergraph: Supergraph, operation: str) -> str:
    return format_plan(plan(supergraph, parse(operation), None))


def test_interface_object_fields_are_fetched_as_the_interface(supergraph: Supergraph) -> None:
    assert planned(supergraph, "{ appliances { id createdBy } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "appliances") { { appliances { __typename id } } },\n'
        '    Flatten(path: "appliances.@") {\n'
        '      Fetch(service: "audit") { { ... on Node { __typename id } } => '
        "{ ... on Node { createdBy } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_representations_of_an_interface_object_name_the_interface_for_the_asked_types(
    supergraph: Supergraph,
) -> None:
    query_plan = plan(supergraph, parse("{ appliances { ... on Sink { createdBy } } }"), None)

    assert isinstance(query_plan.node, SequenceNode)
    flatten = query_plan.node.nodes[1]
    assert isinstance(flatten, FlattenNode)
    (entity,) = flatten.node.requires or ()
    # Sinks only, sent as Node: Ovens get no createdBy (the client did not ask for it there).
    assert (entity.type_name, entity.typenames) == ("Node", frozenset({"Sink"}))


def test_an_interface_object_alone_answers_the_interface_fields(supergraph: Supergraph) -> None:
    # Never its __typename: an @interfaceObject cannot tell which implementation it is.
    assert planned(supergraph, "{ recent { id createdBy } }") == (
        'QueryPlan {\n  Fetch(service: "audit") { { recent { id createdBy } } },\n}'
    )


def test_concrete_types_behind_an_interface_object_come_from_the_interface_owner(
    supergraph: Supergraph,
) -> None:
    assert planned(supergraph, "{ recent { __typename createdBy ... on Oven { watts } } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "audit") { { recent { id createdBy } } },\n'
        '    Flatten(path: "recent.@") {\n'
        '      Fetch(service: "appliances") { { ... on Node { __typename id } } => '
        "{ ... on Node { __typename ... on Oven { watts } } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_interface_object_field_with_requires_gets_the_required_field_first(
    supergraph: Supergraph,
) -> None:
    assert planned(supergraph, '{ node(id: "o1") { shout } }') == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "appliances") { { node(id: "o1") { __typename ... on Oven '
        "{ id label } ... on Sink { id label } } } },\n"
        '    Flatten(path: "node") {\n'
        '      Fetch(service: "labels") { { ... on Node { __typename id label } } => '
        "{ ... on Node { shout } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_a_fragment_on_an_interface_the_subgraph_lacks_becomes_its_implementations(
    supergraph: Supergraph,
) -> None:
    assert planned(supergraph, "{ kitchen { ... on Node { id } ... on Toaster { slots } } }") == (
        "QueryPlan {\n"
        '  Fetch(service: "kitchen") { { kitchen { __typename ... on Oven { id } '
        "... on Toaster { slots } } } },\n"
        "}"
    )


def test_an_interface_field_overridden_on_one_implementation_is_asked_per_type(
    supergraph: Supergraph,
) -> None:
    assert planned(supergraph, "{ products { id price } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "shop") { { products { __typename id ... on Pen { price } } } },\n'
        '    Flatten(path: "products.@") {\n'
        '      Fetch(service: "pricing") { { ... on Book { __typename id } } => '
        "{ ... on Book { price } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_interface_object_requires_from_its_own_root_go_through_the_owner(
    supergraph: Supergraph,
) -> None:
    assert planned(supergraph, "{ loud { id shout } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "labels") { { loud { id } } },\n'
        '    Flatten(path: "loud.@") {\n'
        '      Fetch(service: "appliances") { { ... on Node { __typename id } } => '
        "{ ... on Node { id label } } },\n"
        "    },\n"
        '    Flatten(path: "loud.@") {\n'
        '      Fetch(service: "labels") { { ... on Node { __typename id label } } => '
        "{ ... on Node { shout } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )
