"""Planner snapshots for @requires (nested, fragments, arguments, chains, the parent's own
subgraph), @provides below unions and interfaces, and progressive @override; plus the
composition and per-request facts they rest on.

The fixture supergraph is SDL only (``fixture_requires``): planning needs no subgraph.
"""

from __future__ import annotations

import httpx
import pytest
from graphql import parse

from router.composition import CompositionError, KeyField, SubgraphSource, Supergraph, compose
from router.composition.override_labels import (
    apply_override_labels,
    draw_override_labels,
    valid_override_label,
)
from router.composition.supergraph_reader import read_supergraph
from router.composition.supergraph_sdl import print_supergraph
from router.execution.http import HttpTransport
from router.execution.tree import required_values
from router.gateway import Gateway
from router.pipeline.plan import PlanCache
from router.planning import format_plan, plan, select_operation
from tests.router.fixture_requires import LINK, requires_sources
from tests.router.test_supergraph_reader import planning_facts


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return compose(requires_sources())


def planned(supergraph: Supergraph, operation: str) -> str:
    return format_plan(plan(supergraph, parse(operation), None))


def issue_codes(*sdls: tuple[str, str]) -> list[str]:
    with pytest.raises(CompositionError) as raised:
        compose([SubgraphSource(name, LINK + sdl) for name, sdl in sdls])
    return [issue.code for issue in raised.value.issues]


def test_requires_of_a_field_whose_parent_comes_from_its_own_subgraph_are_fetched_first(
    supergraph: Supergraph,
) -> None:
    assert planned(supergraph, "{ products { name shipping } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "shop") { { products { __typename upc name } } },\n'
        '    Flatten(path: "products.@") {\n'
        '      Fetch(service: "warehouse") { { ... on Product { __typename upc } } => '
        "{ ... on Product { weight } } },\n"
        "    },\n"
        '    Flatten(path: "products.@") {\n'
        '      Fetch(service: "shop") { { ... on Product { __typename upc weight } } '
        "=> { ... on Product { shipping } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_requires_chains_are_fetched_in_order(
    supergraph: Supergraph,
) -> None:
    assert planned(supergraph, "{ products { total } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "shop") { { products { __typename upc } } },\n'
        '    Flatten(path: "products.@") {\n'
        '      Fetch(service: "warehouse") { { ... on Product { __typename upc } } => '
        "{ ... on Product { weight } } },\n"
        "    },\n"
        '    Flatten(path: "products.@") {\n'
        '      Fetch(service: "shop") { { ... on Product { __typename upc weight } } '
        "=> { ... on Product { shipping } } },\n"
        "    },\n"
        '    Flatten(path: "products.@") {\n'
        '      Fetch(service: "billing") { { ... on Product { __typename upc shipping '
        "} } => { ... on Product { total } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_requires_with_a_nested_selection_goes_whole_into_the_representation(
    supergraph: Supergraph,
) -> None:
    assert planned(supergraph, "{ products { sticker } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "shop") { { products { __typename upc } } },\n'
        '    Flatten(path: "products.@") {\n'
        '      Fetch(service: "warehouse") { { ... on Product { __typename upc } } => '
        "{ ... on Product { dims { size weight } } } },\n"
        "    },\n"
        '    Flatten(path: "products.@") {\n'
        '      Fetch(service: "labels") { { ... on Product { __typename upc dims { '
        "size weight } } } => { ... on Product { sticker } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_requires_with_inline_fragments_keep_their_type_conditions(
    supergraph: Supergraph,
) -> None:
    assert planned(supergraph, "{ products { delivery } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "shop") { { products { __typename upc } } },\n'
        '    Flatten(path: "products.@") {\n'
        '      Fetch(service: "warehouse") { { ... on Product { __typename upc } } => '
        "{ ... on Product { package { ... on Box { volume } } } } },\n"
        "    },\n"
        '    Flatten(path: "products.@") {\n'
        '      Fetch(service: "labels") { { ... on Product { __typename upc package { '
        "... on Box { volume } } } } => { ... on Product { delivery } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_required_field_arguments_are_fetched_under_their_own_alias(
    supergraph: Supergraph,
) -> None:
    assert planned(supergraph, '{ products { price(currency: "USD") priceTag } }') == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "shop") { { products { __typename upc price__ce4b4840: '
        'price(currency: "EUR") price(currency: "USD") } } },\n'
        '    Flatten(path: "products.@") {\n'
        '      Fetch(service: "labels") { { ... on Product { __typename upc '
        'price(currency: "EUR") } } => { ... on Product { priceTag } } },\n'
        "    },\n"
        "  },\n"
        "}"
    )


def test_provides_on_a_union_member_is_used_and_the_others_are_fetched(
    supergraph: Supergraph,
) -> None:
    assert planned(supergraph, "{ feed { ... on Book { title } ... on Movie { title } } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "shop") { { feed { __typename ... on Book { title } ... on '
        "Movie { id } } } },\n"
        '    Flatten(path: "feed.@") {\n'
        '      Fetch(service: "catalog") { { ... on Movie { __typename id } } => { ... '
        "on Movie { title } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_provides_below_an_interface_is_used_per_type_condition(
    supergraph: Supergraph,
) -> None:
    assert planned(supergraph, "{ items { id ... on Book { title } ... on Movie { title } } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "shop") { { items { __typename id ... on Book { title } } } },\n'
        '    Flatten(path: "items.@") {\n'
        '      Fetch(service: "catalog") { { ... on Movie { __typename id } } => { ... '
        "on Movie { title } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_progressive_override_off_keeps_the_field_with_its_source_and_gone_sources_are_ignored(
    supergraph: Supergraph,
) -> None:
    assert planned(supergraph, "{ products { status stock } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "shop") { { products { __typename upc status } } },\n'
        '    Flatten(path: "products.@") {\n'
        '      Fetch(service: "workflow") { { ... on Product { __typename upc } } => { '
        "... on Product { stock } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_progressive_override_on_moves_the_field(
    supergraph: Supergraph,
) -> None:
    assert planned(
        apply_override_labels(supergraph, frozenset({"percent(50)"})),
        "{ products { status stock } }",
    ) == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "shop") { { products { __typename upc } } },\n'
        '    Flatten(path: "products.@") {\n'
        '      Fetch(service: "workflow") { { ... on Product { __typename upc } } => { '
        "... on Product { status stock } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_external_on_a_type_makes_every_field_external(supergraph: Supergraph) -> None:
    size = supergraph.types["Dims"].fields["size"]

    assert "labels" in size.external_in
    assert "labels" not in size.resolvable_in


def test_an_external_field_nothing_uses_is_refused() -> None:
    assert issue_codes(
        ("a", 'type Query { t: T } type T @key(fields: "id") { id: ID! n: Int }'),
        ("b", 'type T @key(fields: "id") { id: ID! n: Int @external m: Int }'),
    ) == ["EXTERNAL_UNUSED"]


def test_progressive_override_is_written_on_both_subgraphs(supergraph: Supergraph) -> None:
    printed = print_supergraph(supergraph)

    assert '@link(url: "https://specs.apollo.dev/join/v0.4", for: EXECUTION)' in printed
    assert (
        'status: String @join__field(graph: SHOP, overrideLabel: "percent(50)") '
        '@join__field(graph: WORKFLOW, override: "shop", overrideLabel: "percent(50)")'
    ) in printed


@pytest.mark.parametrize(
    ("label", "valid"),
    [
        ("percent(0)", True),
        ("percent(12.5)", True),
        ("percent(100)", True),
        ("percent(101)", False),
        ("percent(x)", False),
        ("workflow-v2", True),
        ("2fast", False),
    ],
)
def test_override_labels_follow_apollo_s_rule(label: str, valid: bool) -> None:
    assert valid_override_label(label) is valid


def test_an_invalid_override_label_is_refused() -> None:
    assert issue_codes(
        ("a", 'type Query { t: T } type T @key(fields: "id") { id: ID! n: Int }'),
        ("b", 'type T @key(fields: "id") { id: ID! n: Int @override(from: "a", label: "%") }'),
    ) == ["OVERRIDE_LABEL_INVALID"]


def test_percent_labels_are_drawn_and_named_labels_configured() -> None:
    labels = {"percent(50)", "percent(0)", "beta", "gamma"}

    assert draw_override_labels(labels, {"beta"}, lambda: 0.49) == {"percent(50)", "beta"}
    assert draw_override_labels(labels, (), lambda: 0.5) == set()


def test_the_plan_cache_plans_each_request_with_its_drawn_labels(supergraph: Supergraph) -> None:
    draws = iter([0.9, 0.1, 0.9])
    cache = PlanCache(supergraph, 10, draw=lambda: next(draws))
    operation = select_operation(supergraph, parse("{ products { status } }"), None)
    key = ("digest", None, supergraph.version, ())

    off, on, off_again = (cache.plan(key, operation) for _ in range(3))

    assert off.subgraphs == {"shop"}
    assert on.subgraphs == {"shop", "workflow"}
    assert off_again is off


def test_required_values_read_aliased_arguments_and_skip_other_types() -> None:
    fields = (
        KeyField("price", arguments='(currency: "EUR")'),
        KeyField("package", (KeyField("volume", on="Box"), KeyField("thickness", on="Envelope"))),
    )
    obj = {"price": 3, "price__ce4b4840": 2, "package": {"volume": 40}}

    assert required_values(obj, fields) == {"price": 2, "package": {"volume": 40}}


async def test_the_gateway_turns_on_the_named_labels_it_is_given() -> None:
    sources = [
        SubgraphSource(
            "a", LINK + 'type Query { t: T } type T @key(fields: "id") { id: ID! n: Int }'
        ),
        SubgraphSource(
            "b",
            LINK
            + 'type T @key(fields: "id") { id: ID! n: Int @override(from: "a", label: "beta") }',
        ),
    ]
    supergraph = compose(sources)
    async with httpx.AsyncClient() as client:
        # Never called: preparing a request plans it without fetching anything.
        transports = {
            name: HttpTransport(f"http://127.0.0.1:9/{name}", 1.0, client) for name in "ab"
        }
        plain = Gateway(supergraph, transports)
        beta = Gateway(supergraph, transports, override_labels=["beta"])

        assert plain.prepare("{ t { n } }", None, None).plan.subgraphs == {"a"}
        assert beta.prepare("{ t { n } }", None, None).plan.subgraphs == {"a", "b"}


def test_an_interface_field_overridden_on_one_implementation_is_asked_per_type() -> None:
    supergraph = compose(
        [
            SubgraphSource(
                "tickets",
                LINK + "type Query { work: [Work!]! } interface Work { id: ID! status: String } "
                'type Ticket implements Work @key(fields: "id") { id: ID! status: String } '
                'type Task implements Work @key(fields: "id") { id: ID! status: String }',
            ),
            SubgraphSource(
                "workflow",
                LINK + 'type Ticket @key(fields: "id") { id: ID! '
                'status: String @override(from: "tickets") }',
            ),
        ]
    )

    assert planned(supergraph, "{ work { id status } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "tickets") { { work { __typename id ... on Task { status } } } },\n'
        '    Flatten(path: "work.@") {\n'
        '      Fetch(service: "workflow") { { ... on Ticket { __typename id } } => '
        "{ ... on Ticket { status } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_a_representation_missing_a_required_field_is_not_sent() -> None:
    fields = (KeyField("dims", (KeyField("size"),)),)

    assert required_values({"dims": None}, fields) == {"dims": None}
    assert required_values({"dims": {}}, fields) is None
    assert required_values({}, fields) is None


def test_two_requires_reading_different_parts_of_one_value_fetch_both_parts() -> None:
    supergraph = compose(
        [
            SubgraphSource(
                "a",
                LINK + 'type Query { p: P } type P @key(fields: "id") { id: ID! d: D } '
                "type D @shareable { size: Int weight: Int }",
            ),
            SubgraphSource(
                "b",
                LINK + 'type P @key(fields: "id") { id: ID! d: D @external '
                'x: Int @requires(fields: "d { size }") y: Int @requires(fields: "d { weight }") '
                "} type D @shareable { size: Int weight: Int }",
            ),
        ]
    )

    assert planned(supergraph, "{ p { x y } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "a") { { p { __typename id d { size weight } } } },\n'
        '    Flatten(path: "p") {\n'
        '      Fetch(service: "b") { { ... on P { __typename id d { size weight } } } => '
        "{ ... on P { x y } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )


def test_the_fixture_supergraph_reads_back_with_its_labels(supergraph: Supergraph) -> None:
    back = read_supergraph(print_supergraph(supergraph))

    assert print_supergraph(back) == print_supergraph(supergraph)
    assert planning_facts(back) == planning_facts(supergraph)
    assert planned(back, "{ products { total status } }") == planned(
        supergraph, "{ products { total status } }"
    )


def test_a_shareable_field_resolved_elsewhere_without_requirements_is_fetched_there() -> None:
    supergraph = compose(
        [
            SubgraphSource(
                "shop",
                LINK + 'type Query { p: [P] } type P @key(fields: "id") { id: ID! '
                'weight: Int @external shipping: Int @shareable @requires(fields: "weight") }',
            ),
            SubgraphSource("warehouse", LINK + 'type P @key(fields: "id") { id: ID! weight: Int }'),
            SubgraphSource(
                "quote", LINK + 'type P @key(fields: "id") { id: ID! shipping: Int @shareable }'
            ),
        ]
    )

    assert planned(supergraph, "{ p { shipping } }") == (
        "QueryPlan {\n"
        "  Sequence {\n"
        '    Fetch(service: "shop") { { p { __typename id } } },\n'
        '    Flatten(path: "p.@") {\n'
        '      Fetch(service: "quote") { { ... on P { __typename id } } => '
        "{ ... on P { shipping } } },\n"
        "    },\n"
        "  },\n"
        "}"
    )
