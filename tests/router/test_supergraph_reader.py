"""Reading a supergraph SDL (ours, or another composer's) back into a Supergraph."""

from __future__ import annotations

import pytest

from opsgraph import deployment
from opsgraph.artefacts import ROOT
from opsgraph.domains import REGISTRY
from opsgraph.server import build_supergraph
from router.composition import (
    CompositionError,
    SubgraphSource,
    Supergraph,
    compose,
    print_api_schema,
    print_supergraph,
)
from router.composition.supergraph_reader import extract_subgraphs, read_supergraph
from tests.router.fixture_access import access_sources
from tests.router.fixture_directives import directive_sources
from tests.router.fixture_interfaces import interface_object_sources
from tests.router.fixture_subgraphs import sources
from tests.router.test_supergraph_sdl import books_supergraph


def planning_facts(supergraph: Supergraph) -> dict[str, object]:
    """What the planner reads per type and field. (A subgraph whose field another took over
    with ``@override`` and that does not use it is absent from the supergraph SDL, so the
    read-back field lists no join for it.)"""
    return {
        name: (
            meta.kind,
            meta.defined_in,
            meta.keys,
            meta.possible_types,
            meta.implements,
            meta.enum_values,
            {
                field_name: (f.resolvable_in, f.external_in, f.requires, f.provides)
                for field_name, f in meta.fields.items()
            },
        )
        for name, meta in supergraph.types.items()
    }


@pytest.mark.parametrize(
    "subgraphs",
    [sources, directive_sources, access_sources, interface_object_sources],
    ids=["basic", "directives", "access", "interfaces"],
)
def test_our_supergraph_reads_back_into_the_same_supergraph(subgraphs: object) -> None:
    original = compose(subgraphs())  # type: ignore[operator]

    back = read_supergraph(print_supergraph(original))

    assert print_supergraph(back) == print_supergraph(original)
    assert print_api_schema(back) == print_api_schema(original)
    assert planning_facts(back) == planning_facts(original)
    assert back.access == original.access
    assert back.inaccessible == original.inaccessible


def test_the_shipped_supergraph_reads_back_with_its_routing_urls() -> None:
    shipped = (ROOT / "schema" / "supergraph.graphql").read_text()

    back = read_supergraph(shipped)

    assert planning_facts(back) == planning_facts(build_supergraph())
    assert print_supergraph(back) == shipped
    assert dict(back.urls) == {name: deployment.url(REGISTRY, name) for name in REGISTRY.names}


def test_each_subgraph_gets_the_fields_join_field_gives_it() -> None:
    extracted = {source.name: source for source in extract_subgraphs(books_supergraph())}

    assert extracted["stock"].url == "http://stock:4002/graphql"
    stock = extracted["stock"].sdl
    assert 'type Book @key(fields: "id") {' in stock
    assert "title: String @external" in stock
    assert 'pages: Int @requires(fields: "title")' in stock
    assert 'stock: Int @override(from: "books")' in stock
    books = extracted["books"].sdl
    assert "secret: String @inaccessible" in books
    assert "stock" not in books  # overridden and not used by books: gone from it


def test_a_field_two_subgraphs_resolve_is_shareable_in_both() -> None:
    link = '@link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])'
    entity = 'type T @key(fields: "id") { id: ID! name: String @shareable }'
    supergraph = compose(
        [
            SubgraphSource(name, f"extend schema {link}\ntype Query {{ {name}: T }}\n{entity}")
            for name in ("a", "b")
        ]
    )

    extracted = extract_subgraphs(print_supergraph(supergraph))

    assert [source.name for source in extracted] == ["a", "b"]
    for source in extracted:
        assert "name: String @shareable" in source.sdl
        assert "id: ID! @shareable" in source.sdl


@pytest.mark.parametrize(
    ("sdl", "code", "message"),
    [
        ("type Query {", "INVALID_SUPERGRAPH", "not GraphQL"),
        ("type Query { a: Int }", "INVALID_SUPERGRAPH", "no @link to the join spec"),
        (
            'schema @link(url: "https://specs.apollo.dev/join/v0.1") { query: Query }',
            "INVALID_SUPERGRAPH",
            "join spec v0.1 is not supported",
        ),
        (
            'schema @link(url: "https://specs.apollo.dev/join/v0.3") { query: Query }',
            "INVALID_SUPERGRAPH",
            "the join__Graph enum is missing or empty",
        ),
    ],
)
def test_what_is_no_supergraph_is_refused(sdl: str, code: str, message: str) -> None:
    with pytest.raises(CompositionError) as raised:
        read_supergraph(sdl)

    assert [issue.code for issue in raised.value.issues] == [code]
    assert message in raised.value.issues[0].message


def test_unknown_security_features_and_join_directives_are_refused() -> None:
    printed = books_supergraph().replace(
        '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)',
        '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) '
        '@link(url: "https://specs.example.com/guard/v1.0", for: SECURITY) '
        '@link(url: "https://specs.apollo.dev/guard/v1.0", for: SECURITY)',
    )
    printed = printed.replace(
        "type Book implements Item @join__type",
        'type Book implements Item @join__directive(graphs: [BOOKS], name: "x") @join__type',
    )

    with pytest.raises(CompositionError) as raised:
        read_supergraph(printed)

    assert [(issue.code, issue.message) for issue in raised.value.issues] == [
        (
            "UNSUPPORTED_FEATURE",
            "feature https://specs.example.com/guard/v1.0 is for: SECURITY but is not "
            "supported by this router",
        ),
        (
            "UNSUPPORTED_FEATURE",
            "feature https://specs.apollo.dev/guard/v1.0 is for: SECURITY but is not "
            "supported by this router",
        ),
        ("UNSUPPORTED_FEATURE", "Book: @join__directive(name: 'x') is not supported"),
    ]


def test_a_join_field_naming_an_unknown_graph_is_refused() -> None:
    printed = books_supergraph().replace("@join__field(graph: STOCK", "@join__field(graph: NOPE", 1)

    with pytest.raises(CompositionError) as raised:
        read_supergraph(printed)

    assert {issue.code for issue in raised.value.issues} == {"INVALID_SUPERGRAPH"}
    assert "graph NOPE is not in join__Graph" in raised.value.issues[0].message


def test_a_field_whose_join_field_names_no_graph_is_in_no_subgraph() -> None:
    printed = books_supergraph().replace(
        '  pages: Int @join__field(graph: STOCK, requires: "title")', "  pages: Int @join__field"
    )

    extracted = extract_subgraphs(printed)

    assert not any("pages" in source.sdl for source in extracted)


def test_context_arguments_are_refused_once_naming_the_field() -> None:
    printed = books_supergraph().replace(
        '@join__field(graph: STOCK, requires: "title")',
        '@join__field(graph: STOCK, requires: "title", contextArguments: '
        '[{name: "n", type: "ID", context: "stock__c", selection: "{ id }"}])',
    )

    with pytest.raises(CompositionError) as raised:
        read_supergraph(printed)

    assert [(issue.code, issue.message) for issue in raised.value.issues] == [
        (
            "UNSUPPORTED_FEATURE",
            "Book.pages: @fromContext (join__field contextArguments) is not supported",
        )
    ]
