"""Abstract types across subgraphs: unions and interfaces whose members differ per subgraph,
type conditions a subgraph does not know, and ``@override`` seen through an interface.

The supergraph's membership is the union of the subgraphs' (``@join__unionMember``,
``@join__implements``); each fetch may only use the membership its subgraph declares.
"""

from tests.federation_corpus.case import Case, Query, Subgraph

FED2 = (
    '@link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", '
    '"@shareable", "@override", "@external", "@requires"])'
)

CASES = [
    Case(
        name="abstract_types_fragment_on_an_interface_the_subgraph_does_not_know",
        feature="abstract types",
        subgraphs={
            "kitchen": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ appliances: [Appliance!]! }}
                union Appliance = Oven | Toaster
                type Oven @key(fields: "id") {{ id: ID! name: String! }}
                type Toaster @key(fields: "id") {{ id: ID! slots: Int! }}
                """,
                data={
                    "Query": {
                        "appliances": [
                            {"__typename": "Oven", "id": "o1", "name": "Big oven"},
                            {"__typename": "Toaster", "id": "t1", "slots": 4},
                        ]
                    },
                    "entities": {"Oven": [{"id": "o1", "name": "Big oven"}]},
                },
            ),
            "catalog": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ node(id: ID!): Node }}
                interface Node {{ id: ID! }}
                type Oven implements Node @key(fields: "id") {{ id: ID! sku: String! }}
                """,
                data={
                    "Query": {"node": {"__typename": "Oven", "id": "o1", "sku": "OV-1"}},
                    "entities": {"Oven": [{"id": "o1", "sku": "OV-1"}]},
                },
            ),
        },
        queries=(
            "{ appliances { ... on Node { id } ... on Toaster { slots } } }",
            "{ appliances { __typename ... on Node { ... on Oven { name sku } } } }",
            '{ node(id: "o1") { id ... on Oven { name } } }',
        ),
    ),
    Case(
        name="abstract_types_union_members_differ_between_subgraphs",
        feature="abstract types",
        subgraphs={
            "articles": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ search: [Result!]! }}
                union Result = Article | Video
                type Article @key(fields: "id") {{ id: ID! title: String! words: Int! }}
                type Video @key(fields: "id") {{ id: ID! length: Int! }}
                """,
                data={
                    "Query": {
                        "search": [
                            {"__typename": "Article", "id": "a1", "title": "Ovens", "words": 900},
                            {"__typename": "Video", "id": "v1", "length": 60},
                        ]
                    },
                    "entities": {"Article": [{"id": "a1", "title": "Ovens", "words": 900}]},
                },
            ),
            "audio": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ lookup: [Result!]! }}
                union Result = Article | Podcast
                type Article @key(fields: "id") {{ id: ID! }}
                type Podcast @key(fields: "id") {{ id: ID! host: String! }}
                """,
                data={
                    "Query": {
                        "lookup": [
                            {"__typename": "Podcast", "id": "p1", "host": "Kim"},
                            {"__typename": "Article", "id": "a1"},
                        ]
                    }
                },
            ),
        },
        queries=(
            "{ search { __typename ... on Article { title } ... on Video { length } "
            "... on Podcast { host } } }",
            "{ lookup { __typename ... on Article { id title words } ... on Podcast { host } } }",
            "{ search { ... on Article { id } } lookup { ... on Video { id } "
            "... on Podcast { id } } }",
        ),
    ),
    Case(
        name="abstract_types_interface_implementations_differ_between_subgraphs",
        feature="abstract types",
        subgraphs={
            "films": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ shelf: [Media!]! }}
                interface Media {{ title: String! }}
                type Book implements Media @key(fields: "isbn") {{
                  isbn: ID!
                  title: String! @shareable
                }}
                type Movie implements Media @key(fields: "id") {{ id: ID! title: String! }}
                """,
                data={
                    "Query": {
                        "shelf": [
                            {"__typename": "Book", "isbn": "b1", "title": "Dune"},
                            {"__typename": "Movie", "id": "m1", "title": "Alien"},
                        ]
                    },
                    "entities": {"Book": [{"isbn": "b1", "title": "Dune"}]},
                },
            ),
            "music": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ playlist: [Media!]! }}
                interface Media {{ title: String! }}
                type Book implements Media @key(fields: "isbn") {{
                  isbn: ID!
                  title: String! @shareable
                  narrator: String
                }}
                type Song implements Media @key(fields: "id") {{ id: ID! title: String! }}
                """,
                data={
                    "Query": {
                        "playlist": [
                            {"__typename": "Song", "id": "s1", "title": "Blue"},
                            {
                                "__typename": "Book",
                                "isbn": "b1",
                                "title": "Dune",
                                "narrator": "Scott",
                            },
                        ]
                    },
                    "entities": {"Book": [{"isbn": "b1", "title": "Dune", "narrator": "Scott"}]},
                },
            ),
        },
        queries=(
            "{ shelf { title ... on Book { narrator } ... on Song { id } } }",
            "{ playlist { __typename title ... on Movie { id } ... on Book { isbn } } }",
            "{ shelf { ... on Media { __typename } } playlist { ... on Book { title } } }",
        ),
    ),
    Case(
        name="abstract_types_override_through_an_interface",
        feature="abstract types",
        subgraphs={
            "shop": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ products: [Product!]! }}
                interface Product {{ id: ID! price: Int! }}
                type Book implements Product @key(fields: "id") {{ id: ID! price: Int! }}
                type Pen implements Product @key(fields: "id") {{ id: ID! price: Int! }}
                """,
                data={
                    "Query": {
                        "products": [
                            {"__typename": "Book", "id": "b1", "price": 10},
                            {"__typename": "Pen", "id": "p1", "price": 2},
                        ]
                    },
                    "entities": {"Book": [{"id": "b1", "price": 10}]},
                },
            ),
            "pricing": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Book @key(fields: "id") {{ id: ID! price: Int! @override(from: "shop") }}
                """,
                data={"entities": {"Book": [{"id": "b1", "price": 12}]}},
            ),
        },
        queries=(
            "{ products { id price } }",
            "{ products { ... on Book { price } ... on Pen { price } } }",
            "{ products { __typename ... on Product { price } } }",
        ),
    ),
    Case(
        name="abstract_types_abstract_field_of_an_entity_from_another_subgraph",
        feature="abstract types",
        subgraphs={
            "people": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ me: User }}
                type User @key(fields: "id") {{ id: ID! name: String! }}
                """,
                data={"Query": {"me": {"id": "u1", "name": "Ann"}}},
            ),
            "activity": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type User @key(fields: "id") {{ id: ID! feed: [Event!]! }}
                union Event = Login | Purchase
                type Login {{ at: String! }}
                type Purchase @key(fields: "id") {{ id: ID! total: Int! }}
                """,
                data={
                    "entities": {
                        "User": [
                            {
                                "id": "u1",
                                "feed": [
                                    {"__typename": "Login", "at": "09:00"},
                                    {"__typename": "Purchase", "id": "x1", "total": 5},
                                ],
                            }
                        ],
                        "Purchase": [{"id": "x1", "total": 5}],
                    }
                },
            ),
            "billing": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Purchase @key(fields: "id") {{ id: ID! invoice: String! }}
                """,
                data={"entities": {"Purchase": [{"id": "x1", "invoice": "INV-1"}]}},
            ),
        },
        queries=(
            "{ me { name feed { __typename ... on Login { at } "
            "... on Purchase { total invoice } } } }",
            "{ me { feed { ... on Purchase { invoice } } } }",
        ),
    ),
    Case(
        name="abstract_types_union_member_unknown_to_the_fetching_subgraph",
        feature="abstract types",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ first: Pet }}
                union Pet = Cat
                type Cat @key(fields: "id") {{ id: ID! meows: Boolean! }}
                """,
                data={"Query": {"first": {"__typename": "Cat", "id": "c1", "meows": True}}},
            ),
            "b": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ second: Pet }}
                union Pet = Dog | Cat
                type Dog {{ barks: Boolean! }}
                type Cat @key(fields: "id") {{ id: ID! }}
                """,
                data={"Query": {"second": {"__typename": "Dog", "barks": True}}},
            ),
        },
        queries=(
            "{ first { ... on Dog { barks } ... on Cat { meows } } }",
            "{ second { __typename ... on Dog { barks } ... on Cat { meows } } }",
            "{ first { __typename } second { __typename } }",
        ),
    ),
    Case(
        name="abstract_types_relay_node_with_implementations_in_two_subgraphs",
        feature="abstract types",
        subgraphs={
            "incidents": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ incident(id: ID!): Incident nodes: [Node!]! }}
                interface Node {{ id: ID! }}
                type Incident implements Node @key(fields: "id") {{ id: ID! title: String! }}
                type Server @key(fields: "id", resolvable: false) {{ id: ID! }}
                """,
                data={
                    "Query": {
                        "incident": {"id": "i1", "title": "Disk full"},
                        "nodes": [{"__typename": "Incident", "id": "i1", "title": "Disk full"}],
                    },
                    "entities": {"Incident": [{"id": "i1", "title": "Disk full"}]},
                },
            ),
            "cmdb": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ servers: [Node!]! }}
                interface Node {{ id: ID! }}
                type Server implements Node @key(fields: "id") {{ id: ID! host: String! }}
                type Incident @key(fields: "id") {{ id: ID! affected: [Node!]! }}
                """,
                data={
                    "Query": {"servers": [{"__typename": "Server", "id": "s1", "host": "db1"}]},
                    "entities": {
                        "Incident": [
                            {
                                "id": "i1",
                                "affected": [{"__typename": "Server", "id": "s1", "host": "db1"}],
                            }
                        ],
                        "Server": [{"id": "s1", "host": "db1"}],
                    },
                },
            ),
        },
        queries=(
            '{ incident(id: "i1") { ... on Node { id } title affected { __typename '
            "... on Server { host } ... on Incident { title } } } }",
            "{ nodes { id ... on Incident { affected { id } } } servers { __typename "
            "... on Incident { title } ... on Server { host } } }",
        ),
    ),
    Case(
        name="abstract_types_interface_fields_differ_between_subgraphs",
        feature="abstract types",
        subgraphs={
            "catalog": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ items: [Item] similar(id: ID!): [Item] }}
                interface Item {{ id: ID! sku: String size: Size }}
                interface Related {{ related: [Item] }}
                type Size @shareable {{ width: Int height: Int }}
                type Lamp implements Item & Related @key(fields: "id") {{
                  id: ID!
                  sku: String
                  size: Size @shareable
                  related: [Lamp]
                }}
                type Rug implements Item & Related @key(fields: "id") {{
                  id: ID!
                  sku: String
                  size: Size @shareable
                  related: [Rug]
                }}
                """,
                data={
                    "Query": {
                        "items": [
                            {
                                "__typename": "Lamp",
                                "id": "l1",
                                "sku": "L-1",
                                "size": {"width": 1, "height": 3},
                                "related": [{"__typename": "Lamp", "id": "l2", "sku": "L-2"}],
                            },
                            {
                                "__typename": "Rug",
                                "id": "r1",
                                "sku": "R-1",
                                "size": {"width": 20, "height": 1},
                                "related": [],
                            },
                        ],
                        "similar": [
                            {
                                "__typename": "Lamp",
                                "id": "l2",
                                "sku": "L-2",
                                "size": {"width": 1, "height": 2},
                            }
                        ],
                    },
                    "entities": {
                        "Lamp": [
                            {"id": "l1", "sku": "L-1", "size": {"width": 1, "height": 3}},
                            {"id": "l2", "sku": "L-2", "size": {"width": 1, "height": 2}},
                        ],
                        "Rug": [{"id": "r1", "sku": "R-1", "size": {"width": 20, "height": 1}}],
                    },
                },
            ),
            "shipping": Subgraph(
                sdl=f"""
                extend schema {FED2}
                interface Item {{ id: ID! size: Size quote(zone: String): Int }}
                type Size @shareable {{ width: Int height: Int }}
                type Lamp implements Item @key(fields: "id") {{
                  id: ID!
                  size: Size @external
                  quote(zone: String): Int @requires(fields: "size {{ width height }}")
                }}
                type Rug implements Item @key(fields: "id") {{
                  id: ID!
                  size: Size @external
                  quote(zone: String): Int @requires(fields: "size {{ width }}")
                }}
                """,
                resolvers={
                    "Lamp.quote": lambda parent, zone=None: (
                        parent["size"]["width"] * parent["size"]["height"]
                        + (10 if zone == "EU" else 0)
                    ),
                    "Rug.quote": lambda parent, zone=None: parent["size"]["width"] * 2,
                },
            ),
            "reviews": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ review(id: ID!): Review }}
                interface Item {{ id: ID! stars: Int! }}
                type Review {{ id: ID! item: Item }}
                type Lamp implements Item @key(fields: "id") {{ id: ID! stars: Int! }}
                type Rug implements Item @key(fields: "id") {{ id: ID! stars: Int! }}
                """,
                data={
                    "Query": {
                        "review": {
                            "id": "v1",
                            "item": {"__typename": "Rug", "id": "r1", "stars": 5},
                        }
                    },
                    "entities": {
                        "Lamp": [{"id": "l1", "stars": 4}, {"id": "l2", "stars": 2}],
                        "Rug": [{"id": "r1", "stars": 5}],
                    },
                },
            ),
        },
        queries=(
            '{ items { id quote(zone: "EU") stars } similar(id: "l1") { sku quote } }',
            '{ review(id: "v1") { item { sku ... on Rug { stars size { width } } '
            "... on Lamp { quote } } } }",
            "{ items { ... on Related { __typename kind: __typename related { id stars } } } }",
            Query(
                "query($on: Boolean!) { items { id ... on Lamp @include(if: $on) { stars "
                "... on Lamp @skip(if: $on) { sku } } ... on Rug { sku } } }",
                {"on": True},
            ),
        ),
    ),
]
