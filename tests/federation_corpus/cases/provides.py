"""``@provides``: on fields returning unions and interfaces (per type condition), nested
provided paths, and plans that use provided fields instead of fetching them again."""

from __future__ import annotations

from tests.federation_corpus.case import Case, Subgraph

FED2 = (
    '@link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@external", "@provides"])'
)

BOTH_TITLES = "... on Book { title } ... on Movie { title }"

# The providing subgraph's copy of a provided value differs from the owner's on purpose: an
# answer showing the owner's value means the router fetched what was provided.
BOOKS = [{"id": "b1", "title": "Owner's Dune", "pages": 412}]
MOVIES = [{"id": "m1", "title": "Owner's Alien", "minutes": 117}]

CATALOG = Subgraph(
    sdl=f"""
    extend schema {FED2}
    type Book @key(fields: "id") {{ id: ID! title: String! @shareable pages: Int! }}
    type Movie @key(fields: "id") {{ id: ID! title: String! @shareable minutes: Int! }}
    """,
    data={"entities": {"Book": BOOKS, "Movie": MOVIES}},
)

FEED = [
    {"__typename": "Book", "id": "b1", "title": "Dune"},
    {"__typename": "Movie", "id": "m1", "title": "Alien"},
]

CASES = [
    Case(
        name="provides_on_a_union",
        feature="provides",
        subgraphs={
            "catalog": CATALOG,
            "feed": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{
                  feed: [Media!]! @provides(fields: "{BOTH_TITLES}")
                  plain: [Media!]!
                }}
                union Media = Book | Movie
                type Book @key(fields: "id") {{ id: ID! title: String! @external }}
                type Movie @key(fields: "id") {{ id: ID! title: String! @external }}
                """,
                data={"Query": {"feed": FEED, "plain": FEED}},
            ),
        },
        queries=(
            "{ feed { ... on Book { title } ... on Movie { title } } }",
            "{ feed { __typename ... on Book { title pages } ... on Movie { minutes } } }",
            "{ plain { ... on Book { title } ... on Movie { title } } }",
            "query Feed { feed { ...Titled } } fragment Titled on Book { t: title n: title }",
        ),
    ),
    Case(
        name="provides_for_one_member_of_a_union",
        feature="provides",
        subgraphs={
            "catalog": CATALOG,
            "feed": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ feed: [Media!]! @provides(fields: "... on Book {{ title }}") }}
                union Media = Book | Movie
                type Book @key(fields: "id") {{ id: ID! title: String! @external }}
                type Movie @key(fields: "id") {{ id: ID! }}
                """,
                data={"Query": {"feed": FEED}},
            ),
        },
        queries=("{ feed { ... on Book { title } ... on Movie { title } } }",),
    ),
    Case(
        name="provides_on_an_interface",
        feature="provides",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                extend schema {FED2}
                interface Media {{ id: ID! }}
                type Book implements Media @key(fields: "id") {{
                  id: ID! title: String! @shareable pages: Int!
                }}
                type Movie implements Media @key(fields: "id") {{
                  id: ID! title: String! @shareable minutes: Int!
                }}
                """,
                data={"entities": {"Book": BOOKS, "Movie": MOVIES}},
            ),
            "feed": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{
                  feed: [Media!]! @provides(fields: "{BOTH_TITLES}")
                }}
                interface Media {{ id: ID! }}
                type Book implements Media @key(fields: "id") {{ id: ID! title: String! @external }}
                type Movie implements Media @key(fields: "id") {{
                  id: ID! title: String! @external
                }}
                """,
                data={"Query": {"feed": FEED}},
            ),
        },
        queries=(
            "{ feed { id ... on Book { title } ... on Movie { title minutes } } }",
            "{ feed { __typename ... on Book { pages } } }",
        ),
    ),
    Case(
        name="provides_a_nested_path",
        feature="provides",
        subgraphs={
            "accounts": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type User @key(fields: "id") {{
                  id: ID! name: String! @shareable team: Team @shareable
                }}
                type Team @key(fields: "id") {{ id: ID! name: String! @shareable size: Int! }}
                """,
                data={
                    "entities": {
                        "User": [{"id": "u1", "name": "Owner's Ada", "team": {"id": "t1"}}],
                        "Team": [{"id": "t1", "name": "Owner's Core", "size": 4}],
                    }
                },
            ),
            "reviews": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ reviews: [Review!]! }}
                type Review {{
                  body: String!
                  author: User! @provides(fields: "name team {{ name }}")
                }}
                type User @key(fields: "id") {{
                  id: ID! name: String! @external team: Team @external
                }}
                type Team @key(fields: "id") {{ id: ID! name: String! @external }}
                """,
                data={
                    "Query": {
                        "reviews": [
                            {
                                "body": "Great",
                                "author": {
                                    "id": "u1",
                                    "name": "Ada",
                                    "team": {"id": "t1", "name": "Core"},
                                },
                            }
                        ]
                    }
                },
            ),
        },
        queries=(
            "{ reviews { body author { name team { name } } } }",
            "{ reviews { author { team { name size } } } }",
            "{ reviews { author { id team { id } } } }",
        ),
    ),
]

CASES.extend(
    [
        Case(
            name="provides_a_field_with_arguments_is_refused",
            feature="provides",
            subgraphs={
                "catalog": Subgraph(
                    sdl=f"""
                    extend schema {FED2}
                    type Book @key(fields: "id") {{
                      id: ID! title(lang: String): String! @shareable
                    }}
                    """,
                ),
                "feed": Subgraph(
                    sdl=f"""
                    extend schema {FED2}
                    type Query {{ books: [Book!]! @provides(fields: "title") }}
                    type Book @key(fields: "id") {{
                      id: ID! title(lang: String): String! @external
                    }}
                    """,
                    data={"Query": {"books": BOOKS}},
                ),
            },
            queries=("{ books { title } }",),
        ),
        Case(
            name="provides_an_unknown_nested_field_is_refused",
            feature="provides",
            subgraphs={
                "catalog": CATALOG,
                "feed": Subgraph(
                    sdl=f"""
                    extend schema {FED2}
                    type Query {{ feed: [Media!]! @provides(fields: "... on Book {{ isbn }}") }}
                    union Media = Book | Movie
                    type Book @key(fields: "id") {{ id: ID! title: String! @external }}
                    type Movie @key(fields: "id") {{ id: ID! }}
                    """,
                    data={"Query": {"feed": FEED}},
                ),
            },
            queries=("{ feed { ... on Book { title } } }",),
        ),
    ]
)
