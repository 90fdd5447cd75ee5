"""Satisfiability: every field checked along the paths a query can take from the root.

Subgraphs entered only for leaf fields, value types a subgraph never returns, union members
only one subgraph knows and ``@external`` key fields of an extension are fine; a field no
state of its path can reach is refused (``SATISFIABILITY_ERROR``) by both composers.
"""

from tests.federation_corpus.case import Case, Subgraph

FED2 = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@external", "@inaccessible"])'
)

CASES = [
    Case(
        name="satisfiability_subgraph_entered_only_for_leaves",
        feature="satisfiability",
        subgraphs={
            # "pricing" knows Book only by "isbn": it could never give back "id", but no query
            # path leaves a plan positioned at Book in "pricing".
            "books": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ books: [Book!]! book(id: ID!): Book }}
                type Book @key(fields: "id") {{ id: ID! isbn: String! @shareable title: String! }}
                """,
                data={
                    "Query": {
                        "books": [
                            {"id": "1", "isbn": "978-1", "title": "Dune"},
                            {"id": "2", "isbn": "978-2", "title": "Emma"},
                        ],
                        "book": {"id": "2", "isbn": "978-2", "title": "Emma"},
                    }
                },
            ),
            "pricing": Subgraph(
                sdl=f"""
                {FED2}
                type Book @key(fields: "isbn") {{ isbn: String! price: Int }}
                """,
                data={
                    "entities": {
                        "Book": [{"isbn": "978-1", "price": 12}, {"isbn": "978-2", "price": 9}]
                    }
                },
            ),
        },
        queries=(
            "{ books { id title price } }",
            '{ book(id: "2") { price isbn __typename } }',
            "{ books { price } }",
        ),
    ),
    Case(
        name="satisfiability_value_type_field_only_in_another_subgraph",
        feature="satisfiability",
        subgraphs={
            "offices": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ office: Place }}
                type Place @shareable {{ name: String }}
                """,
                data={"Query": {"office": {"name": "HQ"}}},
            ),
            "depots": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ depot: Place }}
                type Place @shareable {{ name: String floor: Int }}
                """,
                data={"Query": {"depot": {"name": "North", "floor": 1}}},
            ),
        },
        queries=("{ depot { name floor } }",),
    ),
    Case(
        name="satisfiability_key_the_parent_subgraph_cannot_provide",
        feature="satisfiability",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ t: T }}
                type T @key(fields: "id") {{ id: ID! }}
                """,
                data={"Query": {"t": {"id": "1"}}},
            ),
            "b": Subgraph(
                sdl=f"""
                {FED2}
                type T @key(fields: "sku") {{ sku: ID! price: Int }}
                """,
            ),
        },
        queries=("{ t { id price } }",),
    ),
    Case(
        name="satisfiability_value_type_never_returned_by_a_subgraph",
        feature="satisfiability",
        subgraphs={
            # "archive" defines Place with fewer fields but returns none: nothing to check there.
            "offices": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ offices: [Place!]! }}
                type Place @shareable {{ name: String floor: Int }}
                """,
                data={"Query": {"offices": [{"name": "HQ", "floor": 3}, {"name": "Lab"}]}},
            ),
            "archive": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ archived: Int }}
                type Place @shareable {{ name: String }}
                """,
                data={"Query": {"archived": 7}},
            ),
        },
        queries=("{ offices { name floor } archived }", "{ offices { floor } }"),
    ),
    Case(
        name="satisfiability_external_key_field_of_an_extension",
        feature="satisfiability",
        subgraphs={
            "products": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ products: [Product!]! }}
                type Product @key(fields: "upc") {{ upc: ID! name: String }}
                """,
                data={
                    "Query": {"products": [{"upc": "p1", "name": "Lamp"}]},
                    "entities": {
                        "Product": [{"upc": "p1", "name": "Lamp"}, {"upc": "p2", "name": "Desk"}]
                    },
                },
            ),
            # "upc" is @external on an extension's key: a "fake" external, resolved here too.
            "stock": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ lowStock: [Product!]! }}
                extend type Product @key(fields: "upc") {{ upc: ID! @external stock: Int }}
                """,
                data={
                    "Query": {"lowStock": [{"upc": "p2", "stock": 1}]},
                    "entities": {
                        "Product": [{"upc": "p1", "stock": 40}, {"upc": "p2", "stock": 1}]
                    },
                },
            ),
        },
        queries=(
            "{ lowStock { upc name stock } }",
            "{ products { upc stock } }",
        ),
    ),
    Case(
        name="satisfiability_union_member_known_to_one_subgraph",
        feature="satisfiability",
        subgraphs={
            "library": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ things: [Thing!]! }}
                union Thing = Book
                type Book @key(fields: "id") {{ id: ID! title: String }}
                """,
                data={"Query": {"things": [{"__typename": "Book", "id": "1", "title": "Dune"}]}},
            ),
            "cinema": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ movies: [Movie!]! }}
                union Thing = Movie
                type Movie {{ id: ID! length: Int }}
                """,
                data={"Query": {"movies": [{"id": "m1", "length": 120}]}},
            ),
        },
        queries=(
            "{ things { __typename ... on Book { title } ... on Movie { length } } }",
            "{ movies { id length } }",
        ),
    ),
    Case(
        name="satisfiability_value_type_reached_through_another_parent_subgraph",
        feature="satisfiability",
        subgraphs={
            # "users" returns Profile without "age": a query selecting it takes
            # User.profile from "accounts" (by User's key) instead.
            "users": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ me: User users: [User!]! }}
                type User @key(fields: "id") {{ id: ID! profile: Profile @shareable }}
                type Profile @shareable {{ name: String }}
                """,
                data={
                    "Query": {
                        "me": {"id": "u1", "profile": {"name": "Ada"}},
                        "users": [
                            {"id": "u1", "profile": {"name": "Ada"}},
                            {"id": "u2", "profile": None},
                        ],
                    }
                },
            ),
            "accounts": Subgraph(
                sdl=f"""
                {FED2}
                type User @key(fields: "id") {{ id: ID! profile: Profile @shareable }}
                type Profile @shareable {{ name: String age: Int }}
                """,
                data={
                    "entities": {
                        "User": [
                            {"id": "u1", "profile": {"name": "Ada", "age": 36}},
                            {"id": "u2", "profile": {"name": "Alan", "age": 41}},
                        ]
                    }
                },
            ),
        },
        queries=(
            "{ me { profile { name age } } }",
            "{ me { profile { name } } }",
            "{ users { id profile { age } } }",
        ),
    ),
    Case(
        name="satisfiability_shareable_root_field_value_types_differ",
        feature="satisfiability",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ settings: Settings @shareable version: Int }}
                type Settings @shareable {{ theme: String }}
                """,
                data={"Query": {"settings": {"theme": "dark"}, "version": 3}},
            ),
            "b": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ settings: Settings @shareable }}
                type Settings @shareable {{ theme: String locale: String }}
                """,
                data={"Query": {"settings": {"theme": "dark", "locale": "fr"}}},
            ),
        },
        queries=(
            "{ settings { theme locale } }",
            "{ version settings { theme } }",
            "{ version settings { locale } }",
        ),
    ),
    Case(
        name="satisfiability_selection_split_over_two_subgraphs",
        feature="satisfiability",
        subgraphs={
            "users": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ me: User }}
                type User @key(fields: "id") {{ id: ID! profile: Profile @shareable }}
                type Profile @shareable {{ name: String nick: String }}
                """,
                data={"Query": {"me": {"id": "u1", "profile": {"name": "Ada", "nick": "A"}}}},
            ),
            "accounts": Subgraph(
                sdl=f"""
                {FED2}
                type User @key(fields: "id") {{ id: ID! profile: Profile @shareable }}
                type Profile @shareable {{ name: String age: Int }}
                """,
                data={"entities": {"User": [{"id": "u1", "profile": {"name": "Ada", "age": 36}}]}},
            ),
        },
        queries=(
            "{ me { profile { nick age } } }",
            "{ me { profile { name nick } } }",
            "{ me { id profile { age name } } }",
        ),
    ),
    Case(
        name="satisfiability_inaccessible_field_is_not_checked",
        feature="satisfiability",
        subgraphs={
            # "floor" is out of reach through "office", but no client can select it.
            "offices": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ office: Place }}
                type Place @shareable {{ name: String }}
                """,
                data={"Query": {"office": {"name": "HQ"}}},
            ),
            "depots": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ depot: Place }}
                type Place @shareable {{ name: String floor: Int @inaccessible }}
                """,
                data={"Query": {"depot": {"name": "North", "floor": 1}}},
            ),
        },
        queries=("{ office { name } depot { name } }", "{ depot { __typename name } }"),
    ),
    Case(
        name="satisfiability_root_selection_split_over_two_subgraphs",
        feature="satisfiability",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ settings: Settings @shareable }}
                type Settings @shareable {{ version: Int theme: String }}
                """,
                data={"Query": {"settings": {"version": 1, "theme": "dark"}}},
            ),
            "b": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ settings: Settings @shareable }}
                type Settings @shareable {{ version: Int locale: String }}
                """,
                data={"Query": {"settings": {"version": 1, "locale": "fr"}}},
            ),
        },
        queries=(
            "{ settings { theme locale } }",
            "{ settings { version locale __typename } }",
            "{ s: settings { locale theme } }",
        ),
    ),
    Case(
        name="satisfiability_root_selection_split_over_three_subgraphs",
        feature="satisfiability",
        subgraphs={
            name: Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ settings: Settings @shareable }}
                type Settings @shareable {{ version: Int {field}: String }}
                """,
                data={"Query": {"settings": {"version": 1, field: value}}},
            )
            for name, field, value in (
                ("a", "theme", "dark"),
                ("b", "locale", "fr"),
                ("c", "zone", "CET"),
            )
        },
        queries=(
            "{ settings { theme locale zone } }",
            "{ settings { version zone } }",
        ),
    ),
    Case(
        name="satisfiability_field_moved_then_split",
        feature="satisfiability",
        subgraphs={
            # "users" knows no profile: it is fetched from "cards", which hands "age" on to
            # "ages" (both reached by User's key).
            "users": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ me: User }}
                type User @key(fields: "id") {{ id: ID! login: String }}
                """,
                data={"Query": {"me": {"id": "u1", "login": "ada"}}},
            ),
            "cards": Subgraph(
                sdl=f"""
                {FED2}
                type User @key(fields: "id") {{ id: ID! profile: Profile @shareable }}
                type Profile @shareable {{ name: String nick: String }}
                """,
                data={
                    "entities": {"User": [{"id": "u1", "profile": {"name": "Ada", "nick": "A"}}]}
                },
            ),
            "ages": Subgraph(
                sdl=f"""
                {FED2}
                type User @key(fields: "id") {{ id: ID! profile: Profile @shareable }}
                type Profile @shareable {{ name: String age: Int }}
                """,
                data={"entities": {"User": [{"id": "u1", "profile": {"name": "Ada", "age": 36}}]}},
            ),
        },
        queries=(
            "{ me { login profile { nick age } } }",
            "{ me { profile { name } } }",
            "{ me { profile { age nick name } } }",
        ),
    ),
    Case(
        name="satisfiability_split_below_an_interface",
        feature="satisfiability",
        subgraphs={
            "library": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ things: [Thing!]! }}
                interface Thing {{ info: Info }}
                type Book implements Thing @key(fields: "id") {{ id: ID! info: Info @shareable }}
                type Info @shareable {{ pages: Int }}
                """,
                data={
                    "Query": {"things": [{"__typename": "Book", "id": "b1", "info": {"pages": 9}}]}
                },
            ),
            "shop": Subgraph(
                sdl=f"""
                {FED2}
                type Book @key(fields: "id") {{ id: ID! info: Info @shareable }}
                type Info @shareable {{ pages: Int price: Int }}
                """,
                data={"entities": {"Book": [{"id": "b1", "info": {"pages": 9, "price": 12}}]}},
            ),
        },
        queries=(
            "{ things { info { pages price } } }",
            "{ things { __typename ... on Book { id info { price } } } }",
        ),
    ),
    Case(
        name="satisfiability_mutation_needing_two_subgraphs",
        feature="satisfiability",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ x: Int }}
                type Mutation {{ make: Foo @shareable }}
                type Foo @shareable {{ x: Int z: Int }}
                """,
                data={"Query": {"x": 1}},
            ),
            "b": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ y: Int }}
                type Mutation {{ make: Foo @shareable }}
                type Foo @shareable {{ x: Int y: Int }}
                """,
                data={"Query": {"y": 2}},
            ),
        },
        queries=("mutation { make { y z } }",),
    ),
]
