"""Type merging: field types by subtyping, arguments and input types by intersection, enums
by usage, and the merges Apollo's composition refuses (with the same error codes)."""

from tests.federation_corpus.case import Case, Query, Subgraph

FED2 = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable"])'
)


def _echo(_parent: object, **arguments: object) -> str:
    return ",".join(f"{name}={arguments[name]}" for name in sorted(arguments))


def _describe_filter(_parent: object, filter: dict[str, object]) -> str:
    return ",".join(f"{name}={filter[name]}" for name in sorted(filter))


CASES = [
    Case(
        name="type_merging_nullability_to_most_general",
        feature="type_merging",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ first: Item tags: [String!]! @shareable }}
                type Item @shareable {{ id: ID! label: String! scores: [Int!]! }}
                """,
                data={
                    "Query": {
                        "first": {"id": "1", "label": "one", "scores": [1, 2]},
                        "tags": ["x", "y"],
                    }
                },
            ),
            "b": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ second: Item tags: [String] @shareable }}
                type Item @shareable {{ id: ID label: String scores: [Int] }}
                """,
                data={
                    "Query": {
                        "second": {"id": None, "label": None, "scores": [3, None]},
                        "tags": ["x", None],
                    }
                },
            ),
        },
        queries=(
            "{ first { id label scores } second { id label scores } }",
            "{ tags }",
            "{ second { __typename label } first { label } }",
        ),
    ),
    Case(
        name="type_merging_union_and_interface_over_a_member",
        feature="type_merging",
        subgraphs={
            "zoo": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ star: Animal @shareable keeper: Person @shareable }}
                union Animal = Dog | Cat
                type Dog @shareable {{ name: String }}
                type Cat {{ lives: Int }}
                interface Person {{ name: String }}
                type Keeper implements Person @shareable {{ name: String }}
                """,
                data={
                    "Query": {
                        "star": {"__typename": "Dog", "name": "Rex"},
                        "keeper": {"__typename": "Keeper", "name": "Sam"},
                    }
                },
            ),
            "kennel": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ star: Dog @shareable keeper: Keeper @shareable }}
                type Dog @shareable {{ name: String }}
                type Keeper @shareable {{ name: String }}
                """,
                data={"Query": {"star": {"name": "Rex"}, "keeper": {"name": "Sam"}}},
            ),
        },
        queries=(
            "{ star { __typename ... on Dog { name } } }",
            "{ keeper { __typename name } }",
            "{ keeper { __typename ... on Keeper { name } } star { __typename ...D } } "
            "fragment D on Dog { name }",
        ),
    ),
    Case(
        name="type_merging_fragment_on_the_member_a_subgraph_returns",
        feature="type_merging",
        subgraphs={
            "zoo": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ star: Animal @shareable keeper: Person @shareable }}
                union Animal = Dog | Cat
                type Dog @shareable {{ name: String }}
                type Cat {{ lives: Int }}
                interface Person {{ name: String }}
                type Keeper implements Person @shareable {{ name: String }}
                """,
                data={
                    "Query": {
                        "star": {"__typename": "Dog", "name": "Rex"},
                        "keeper": {"__typename": "Keeper", "name": "Sam"},
                    }
                },
            ),
            "kennel": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ star: Dog @shareable keeper: Keeper @shareable }}
                type Dog @shareable {{ name: String }}
                type Keeper @shareable {{ name: String }}
                """,
                data={"Query": {"star": {"name": "Rex"}, "keeper": {"name": "Sam"}}},
            ),
        },
        queries=("{ keeper { ... on Keeper { name } } star { ... on Dog { name } } }",),
        difference=(
            "@apollo/gateway answers {} for both fields: it resolves them from the subgraph "
            "whose field returns the member type, asks that subgraph no __typename, and then "
            "cannot match the fragment's type condition; we answer the fragments' fields "
            "(what the subgraph returned, as the GraphQL spec asks)"
        ),
    ),
    Case(
        name="type_merging_arguments_intersected",
        feature="type_merging",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{
                  search(term: String!, limit: Int, debug: Boolean): String @shareable
                  page(size: Int = 10): String @shareable
                }}
                """,
                resolvers={"Query.search": _echo, "Query.page": _echo},
            ),
            "b": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{
                  search(term: String, limit: Int): String @shareable
                  page(size: Int = 10): String @shareable
                }}
                """,
                resolvers={"Query.search": _echo, "Query.page": _echo},
            ),
        },
        queries=(
            '{ search(term: "lamp", limit: 2) }',
            '{ search(term: "lamp") page }',
            Query("query ($t: String!) { search(term: $t) page(size: 3) }", {"t": "desk"}),
            '{ __type(name: "Query") { fields { name args { name defaultValue '
            "type { kind name ofType { name } } } } } }",
        ),
    ),
    Case(
        name="type_merging_input_types_intersected",
        feature="type_merging",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ findA(filter: Filter!): String }}
                input Filter {{ name: String! tag: String min: Int }}
                """,
                resolvers={"Query.findA": _describe_filter},
            ),
            "b": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ findB(filter: Filter): String }}
                input Filter {{ name: String tag: String region: String }}
                """,
                resolvers={"Query.findB": _describe_filter},
            ),
        },
        queries=(
            '{ findA(filter: {name: "x", tag: "t"}) findB(filter: {name: "y"}) }',
            Query("query ($f: Filter!) { findA(filter: $f) }", {"f": {"name": "v"}}),
            '{ __type(name: "Filter") { inputFields { name type { kind name } } } }',
        ),
    ),
    Case(
        name="type_merging_enums_by_usage",
        feature="type_merging",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ state: State count(kind: Kind!): Int }}
                enum State {{ OPEN CLOSED }}
                enum Kind {{ BUG TASK EPIC }}
                """,
                data={"Query": {"state": "OPEN"}},
                resolvers={"Query.count": lambda _parent, kind: len(kind)},
            ),
            "b": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ other: State total(kind: Kind): Int }}
                enum State {{ CLOSED ARCHIVED }}
                enum Kind {{ BUG TASK STORY }}
                """,
                data={"Query": {"other": "ARCHIVED"}},
                resolvers={"Query.total": lambda _parent, kind=None: 0 if kind is None else 1},
            ),
        },
        queries=(
            "{ state other }",
            "{ count(kind: TASK) total(kind: BUG) }",
            '{ __type(name: "Kind") { enumValues { name } } }',
        ),
    ),
    Case(
        name="type_merging_field_type_mismatch",
        feature="type_merging",
        subgraphs={
            "a": Subgraph(sdl=f"{FED2} type Query {{ size: Int @shareable }}"),
            "b": Subgraph(sdl=f"{FED2} type Query {{ size: String @shareable }}"),
        },
    ),
    Case(
        name="type_merging_list_against_single_value",
        feature="type_merging",
        subgraphs={
            "a": Subgraph(
                sdl=f"{FED2} type Query {{ a: T }} type T @shareable {{ tags: [String] }}"
            ),
            "b": Subgraph(sdl=f"{FED2} type Query {{ b: T }} type T @shareable {{ tags: String }}"),
        },
    ),
    Case(
        name="type_merging_argument_type_mismatch",
        feature="type_merging",
        subgraphs={
            "a": Subgraph(sdl=f"{FED2} type Query {{ f(x: Int): Int @shareable }}"),
            "b": Subgraph(sdl=f"{FED2} type Query {{ f(x: ID): Int @shareable }}"),
        },
    ),
    Case(
        name="type_merging_required_argument_missing",
        feature="type_merging",
        subgraphs={
            "a": Subgraph(sdl=f"{FED2} type Query {{ f(x: Int, y: Int!): Int @shareable }}"),
            "b": Subgraph(sdl=f"{FED2} type Query {{ f(x: Int): Int @shareable }}"),
        },
    ),
    Case(
        name="type_merging_required_input_field_missing",
        feature="type_merging",
        subgraphs={
            "a": Subgraph(
                sdl=f"{FED2} type Query {{ a(i: In): Int }} input In {{ x: Int y: Int! }}"
            ),
            "b": Subgraph(sdl=f"{FED2} type Query {{ b(i: In): Int }} input In {{ x: Int }}"),
        },
    ),
    Case(
        name="type_merging_argument_defaults_differ",
        feature="type_merging",
        subgraphs={
            "a": Subgraph(sdl=f"{FED2} type Query {{ f(n: Int = 1): Int @shareable }}"),
            "b": Subgraph(sdl=f"{FED2} type Query {{ f(n: Int = 2): Int @shareable }}"),
        },
    ),
    Case(
        name="type_merging_enum_in_both_positions_differs",
        feature="type_merging",
        subgraphs={
            "a": Subgraph(sdl=f"{FED2} type Query {{ a(s: State): State }} enum State {{ A B }}"),
            "b": Subgraph(sdl=f"{FED2} type Query {{ b: State }} enum State {{ A C }}"),
        },
    ),
    Case(
        name="type_merging_input_enum_without_common_value",
        feature="type_merging",
        subgraphs={
            "a": Subgraph(sdl=f"{FED2} type Query {{ a(s: State): Int }} enum State {{ A }}"),
            "b": Subgraph(sdl=f"{FED2} type Query {{ b(s: State): Int }} enum State {{ B }}"),
        },
    ),
    Case(
        name="type_merging_implementation_more_general_than_its_interface",
        feature="type_merging",
        subgraphs={
            "a": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ item: Item }}
                interface Item {{ label: String! }}
                type Book implements Item @shareable {{ label: String! }}
                """
            ),
            "b": Subgraph(
                sdl=f"{FED2} type Query {{ book: Book }} type Book @shareable {{ label: String }}"
            ),
        },
    ),
    Case(
        name="type_merging_external_declaration_must_match",
        feature="type_merging",
        subgraphs={
            "products": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ product: Product }}
                type Product @key(fields: "upc") {{ upc: String! weight: Int }}
                """
            ),
            "shipping": Subgraph(
                sdl="""
                extend schema @link(url: "https://specs.apollo.dev/federation/v2.7",
                  import: ["@key", "@external", "@requires"])
                type Product @key(fields: "upc") {
                  upc: String!
                  weight: Int! @external
                  cost: Int @requires(fields: "weight")
                }
                """
            ),
        },
    ),
    Case(
        name="type_merging_external_declaration_narrower_than_differing_definitions",
        feature="type_merging",
        subgraphs={
            "products": Subgraph(
                sdl=f"""
                {FED2}
                type Query {{ products: [Product!]! }}
                type Product @key(fields: "upc") {{ upc: String! weight: Int @shareable }}
                """,
                data={
                    "Query": {"products": [{"upc": "1", "weight": 4}]},
                    "entities": {"Product": [{"upc": "1", "weight": 4}]},
                },
            ),
            "warehouse": Subgraph(
                sdl=f"""
                {FED2}
                type Product @key(fields: "upc") {{ upc: String! weight: Int! @shareable }}
                """,
                data={"entities": {"Product": [{"upc": "1", "weight": 4}]}},
            ),
            "shipping": Subgraph(
                sdl="""
                extend schema @link(url: "https://specs.apollo.dev/federation/v2.7",
                  import: ["@key", "@external", "@requires"])
                type Product @key(fields: "upc") {
                  upc: String!
                  weight: Int! @external
                  cost: Int @requires(fields: "weight")
                }
                """,
                resolvers={"Product.cost": lambda parent: parent["weight"] * 3},
            ),
        },
        queries=("{ products { upc weight cost } }",),
    ),
]
