"""The supergraph SDL (``@link``/``join__`` form) other Federation 2 routers load."""

from __future__ import annotations

from router.composition import SubgraphSource, compose, print_supergraph
from tests.router.fixture_directives import LINK
from tests.router.fixture_subgraphs import sources

BOOKS = LINK + (
    'type Query { items(kind: Kind): [Item!]! @tag(name: "public") }\n'
    "interface Item { id: ID! }\n"
    "enum Kind { BOOK FILM }\n"
    'type Book implements Item @key(fields: "id") '
    "{ id: ID! title: String secret: String @inaccessible }"
)
STOCK = LINK + (
    'type Book @key(fields: "id") { id: ID! title: String @external '
    'pages: Int @requires(fields: "title") stock: Int @override(from: "books") }\n'
    "enum Kind { BOOK FILM }"
)


def books_supergraph() -> str:
    return print_supergraph(
        compose(
            [
                SubgraphSource("stock", STOCK, "http://stock:4002/graphql"),
                SubgraphSource("books", BOOKS, "http://books:4001/graphql"),
            ]
        )
    )


def test_schema_links_join_and_the_specs_in_use() -> None:
    printed = books_supergraph()

    assert printed.startswith(
        'schema @link(url: "https://specs.apollo.dev/link/v1.0") '
        '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) '
        '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY) '
        '@link(url: "https://specs.apollo.dev/tag/v0.3") {\n  query: Query\n}\n'
    )
    assert "directive @inaccessible on FIELD_DEFINITION" in printed
    assert "directive @tag(name: String!) repeatable on FIELD_DEFINITION" in printed


def test_types_and_fields_say_which_subgraphs_define_them() -> None:
    printed = books_supergraph()

    assert printed.split("enum join__Graph")[1] == (
        " {\n"
        '  BOOKS @join__graph(name: "books", url: "http://books:4001/graphql")\n'
        '  STOCK @join__graph(name: "stock", url: "http://stock:4002/graphql")\n'
        "}\n"
        "\n"
        'type Book implements Item @join__type(graph: BOOKS, key: "id") '
        '@join__type(graph: STOCK, key: "id") '
        '@join__implements(graph: BOOKS, interface: "Item") {\n'
        "  id: ID!\n"
        '  pages: Int @join__field(graph: STOCK, requires: "title")\n'
        "  secret: String @join__field(graph: BOOKS) @inaccessible\n"
        '  stock: Int @join__field(graph: STOCK, override: "books")\n'
        "  title: String @join__field(graph: BOOKS) @join__field(graph: STOCK, external: true)\n"
        "}\n"
        "\n"
        "interface Item @join__type(graph: BOOKS) {\n"
        "  id: ID!\n"
        "}\n"
        "\n"
        "enum Kind @join__type(graph: BOOKS) @join__type(graph: STOCK) {\n"
        "  BOOK @join__enumValue(graph: BOOKS) @join__enumValue(graph: STOCK)\n"
        "  FILM @join__enumValue(graph: BOOKS) @join__enumValue(graph: STOCK)\n"
        "}\n"
        "\n"
        "type Query @join__type(graph: BOOKS) {\n"
        '  items(kind: Kind): [Item!]! @tag(name: "public")\n'
        "}\n"
    )


def test_entities_record_unresolvable_keys_and_union_members() -> None:
    printed = print_supergraph(compose(sources()))

    assert (
        'type User @join__type(graph: ACCOUNTS, key: "id") '
        '@join__type(graph: PRODUCTS, key: "id", resolvable: false) '
        '@join__type(graph: REVIEWS, key: "id") {'
    ) in printed
    assert (
        "union FeedItem @join__type(graph: REVIEWS) "
        '@join__unionMember(graph: REVIEWS, member: "Product") '
        '@join__unionMember(graph: REVIEWS, member: "Review") = Review | Product'
    ) in printed
    assert '  ACCOUNTS @join__graph(name: "accounts", url: "")' in printed


def test_output_does_not_depend_on_subgraph_order() -> None:
    assert print_supergraph(compose(sources())) == print_supergraph(
        compose(list(reversed(sources())))
    )
