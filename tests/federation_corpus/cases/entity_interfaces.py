"""Entity interfaces: ``@key`` on an interface, and ``@interfaceObject`` standing for it.

The subgraph that declares ``@key`` on an interface resolves a representation whose
``__typename`` is the interface (its rows carry the concrete ``__typename``) and must define
every implementation, each with that key. Another subgraph declares an object type of the
interface's name with ``@interfaceObject`` and the same key, and so adds fields to every
implementation without knowing them.
"""

from tests.federation_corpus.case import Case, Query, Subgraph

FED2 = (
    '@link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", '
    '"@shareable", "@external", "@requires", "@interfaceObject"])'
)

# The subgraph owning the entity interface: two kitchen appliances behind ``Node``.
APPLIANCES = Subgraph(
    sdl=f"""
    extend schema {FED2}
    type Query {{ node(id: ID!): Node appliances: [Node!]! }}
    interface Node @key(fields: "id") {{ id: ID! label: String! }}
    type Oven implements Node @key(fields: "id") {{ id: ID! label: String! watts: Int! }}
    type Sink implements Node @key(fields: "id") {{ id: ID! label: String! litres: Int! }}
    """,
    data={
        "Query": {
            "node": {"__typename": "Oven", "id": "o1", "label": "Big oven", "watts": 3000},
            "appliances": [
                {"__typename": "Oven", "id": "o1", "label": "Big oven", "watts": 3000},
                {"__typename": "Sink", "id": "s1", "label": "Deep sink", "litres": 40},
                {"__typename": "Oven", "id": "o2", "label": "Small oven", "watts": 900},
            ],
        },
        "entities": {
            "Node": [
                {"__typename": "Oven", "id": "o1", "label": "Big oven", "watts": 3000},
                {"__typename": "Sink", "id": "s1", "label": "Deep sink", "litres": 40},
                {"__typename": "Oven", "id": "o2", "label": "Small oven", "watts": 900},
            ],
            "Oven": [
                {"id": "o1", "label": "Big oven", "watts": 3000},
                {"id": "o2", "label": "Small oven", "watts": 900},
            ],
            "Sink": [{"id": "s1", "label": "Deep sink", "litres": 40}],
        },
    },
)

# An @interfaceObject subgraph: audit facts for every Node, without knowing Oven or Sink.
AUDIT = Subgraph(
    sdl=f"""
    extend schema {FED2}
    type Query {{ recent: [Node!]! }}
    type Node @key(fields: "id") @interfaceObject {{ id: ID! createdBy: String! }}
    """,
    data={
        "Query": {
            "recent": [
                {"__typename": "Node", "id": "s1", "createdBy": "ann"},
                {"__typename": "Node", "id": "o2", "createdBy": "bob"},
            ]
        },
        "entities": {
            "Node": [
                {"id": "o1", "createdBy": "cy"},
                {"id": "s1", "createdBy": "ann"},
                {"id": "o2", "createdBy": "bob"},
            ]
        },
    },
)

# Stock levels of ovens only: a third subgraph reached through a type condition.
STOCK = Subgraph(
    sdl=f"""
    extend schema {FED2}
    type Oven @key(fields: "id") {{ id: ID! inStock: Boolean! }}
    """,
    data={"entities": {"Oven": [{"id": "o1", "inStock": True}, {"id": "o2", "inStock": False}]}},
)

CASES = [
    Case(
        name="entity_interfaces_key_on_interface",
        feature="entity interfaces",
        subgraphs={
            "appliances": APPLIANCES,
            "stock": STOCK,
        },
        queries=(
            '{ node(id: "o1") { id label ... on Oven { watts inStock } } }',
            "{ appliances { __typename id ... on Oven { inStock } ... on Sink { litres } } }",
            "{ appliances { ... on Node { label } ... on Oven { id } } }",
        ),
    ),
    Case(
        name="entity_interfaces_key_missing_on_an_implementation",
        feature="entity interfaces",
        subgraphs={
            "appliances": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ node(id: ID!): Node }}
                interface Node @key(fields: "id") {{ id: ID! }}
                type Oven implements Node @key(fields: "id") {{ id: ID! }}
                type Sink implements Node {{ id: ID! }}
                """,
            ),
        },
    ),
    Case(
        name="entity_interfaces_key_not_resolvable_on_an_implementation",
        feature="entity interfaces",
        subgraphs={
            "appliances": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ node(id: ID!): Node }}
                interface Node @key(fields: "id") {{ id: ID! }}
                type Oven implements Node @key(fields: "id") {{ id: ID! }}
                type Sink implements Node @key(fields: "id", resolvable: false) {{ id: ID! }}
                """,
            ),
        },
    ),
    Case(
        name="entity_interfaces_key_subgraph_misses_an_implementation",
        feature="entity interfaces",
        subgraphs={
            "appliances": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ node(id: ID!): Node }}
                interface Node @key(fields: "id") {{ id: ID! }}
                type Oven implements Node @key(fields: "id") {{ id: ID! }}
                """,
            ),
            "plumbing": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ sinks: [Sink!]! }}
                interface Node {{ id: ID! }}
                type Sink implements Node @key(fields: "id") {{ id: ID! }}
                """,
            ),
        },
    ),
    Case(
        name="entity_interfaces_interface_object_adds_a_field_to_every_implementation",
        feature="entity interfaces",
        subgraphs={"appliances": APPLIANCES, "audit": AUDIT},
        queries=(
            '{ node(id: "o1") { id createdBy } }',
            "{ appliances { id label createdBy } }",
            "{ appliances { ... on Oven { watts createdBy } ... on Sink { id } } }",
            '{ node(id: "o1") { ... on Node { createdBy } __typename } }',
        ),
    ),
    Case(
        name="entity_interfaces_interface_object_root_field",
        feature="entity interfaces",
        subgraphs={"appliances": APPLIANCES, "audit": AUDIT},
        queries=(
            "{ recent { id createdBy } }",
            "{ recent { __typename id } }",
            "{ recent { id label } }",
            "{ recent { id ... on Oven { watts } ... on Sink { litres label } } }",
            "{ recent { ... on Sink { createdBy } ... on Node { id } } }",
        ),
    ),
    Case(
        name="entity_interfaces_interface_object_field_requires_an_interface_field",
        feature="entity interfaces",
        subgraphs={
            "appliances": APPLIANCES,
            "labels": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Node @key(fields: "id") @interfaceObject {{
                  id: ID!
                  label: String! @external
                  shout: String! @requires(fields: "label")
                }}
                """,
                resolvers={"Node.shout": lambda parent: parent["label"].upper() + "!"},
            ),
        },
        queries=(
            '{ node(id: "o1") { shout } }',
            "{ appliances { id shout ... on Sink { litres } } }",
        ),
    ),
    Case(
        name="entity_interfaces_two_interface_objects",
        feature="entity interfaces",
        subgraphs={
            "appliances": APPLIANCES,
            "audit": AUDIT,
            "energy": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Node @key(fields: "id") @interfaceObject {{ id: ID! rating: String }}
                """,
                data={
                    "entities": {
                        "Node": [{"id": "o1", "rating": "A"}, {"id": "s1", "rating": None}]
                    }
                },
            ),
        },
        queries=(
            "{ appliances { id rating createdBy } }",
            "{ recent { id rating ... on Oven { watts rating } } }",
        ),
    ),
    Case(
        name="entity_interfaces_non_resolvable_interface_object",
        feature="entity interfaces",
        subgraphs={
            "appliances": APPLIANCES,
            "showroom": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ featured: [Node!]! }}
                type Node @key(fields: "id", resolvable: false) @interfaceObject {{ id: ID! }}
                """,
                data={"Query": {"featured": [{"__typename": "Node", "id": "o2"}]}},
            ),
        },
        queries=(
            "{ featured { id } }",
            "{ featured { __typename label ... on Oven { watts } } }",
        ),
    ),
    Case(
        name="entity_interfaces_interface_object_without_an_interface",
        feature="entity interfaces",
        subgraphs={
            "audit": AUDIT,
            "more": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ other: Node }}
                type Node @key(fields: "id") @interfaceObject {{ id: ID! note: String }}
                """,
            ),
        },
    ),
    Case(
        name="entity_interfaces_interface_object_without_a_key",
        feature="entity interfaces",
        subgraphs={
            "appliances": APPLIANCES,
            "audit": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ recent: [Node!]! }}
                type Node @interfaceObject {{ id: ID! createdBy: String! }}
                """,
            ),
        },
    ),
    Case(
        name="entity_interfaces_interface_object_beside_an_implementation",
        feature="entity interfaces",
        subgraphs={
            "appliances": APPLIANCES,
            "audit": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ recent: [Node!]! }}
                type Node @key(fields: "id") @interfaceObject {{ id: ID! createdBy: String! }}
                type Oven @key(fields: "id") {{ id: ID! }}
                """,
            ),
        },
    ),
    Case(
        name="entity_interfaces_entity_errors_and_missing_rows",
        feature="entity interfaces",
        subgraphs={
            "appliances": APPLIANCES,
            "audit": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ recent: [Node] }}
                type Node @key(fields: "id") @interfaceObject {{
                  id: ID!
                  createdBy: String
                  checkedBy: String
                }}
                """,
                data={
                    "Query": {
                        "recent": [
                            {"__typename": "Node", "id": "gone"},
                            {"__typename": "Node", "id": "s1"},
                        ]
                    },
                    "entities": {
                        "Node": [
                            {"id": "s1", "createdBy": "ann", "checkedBy": ValueError("audit down")},
                            {"id": "o1", "checkedBy": "cy"},
                        ]
                    },
                },
            ),
        },
        queries=(
            "{ appliances { id createdBy } }",
            "{ appliances { id checkedBy } }",
            "{ recent { id ... on Oven { watts } } }",
            Query("{ recent { __typename id } }"),
        ),
    ),
    Case(
        name="entity_interfaces_interface_object_without_an_interface_key",
        feature="entity interfaces",
        subgraphs={
            "appliances": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ appliances: [Node!]! }}
                interface Node {{ id: ID! label: String! }}
                type Oven implements Node @key(fields: "id") {{ id: ID! label: String! }}
                """,
            ),
            "audit": AUDIT,
        },
    ),
    Case(
        name="entity_interfaces_type_conditions_reach_a_third_subgraph",
        feature="entity interfaces",
        subgraphs={"appliances": APPLIANCES, "audit": AUDIT, "stock": STOCK},
        queries=(
            "{ recent { id ... on Oven { inStock watts } } }",
            Query(
                "query($all: Boolean!) { recent { id ... on Oven @include(if: $all) { watts } "
                "createdBy @skip(if: $all) } }",
                {"all": True},
            ),
            Query(
                "query($all: Boolean!) { recent { id ... on Oven @include(if: $all) { watts } "
                "createdBy @skip(if: $all) } }",
                {"all": False},
            ),
            "{ appliances { who: createdBy ... on Oven { w: watts stocked: inStock } } }",
        ),
    ),
    Case(
        name="entity_interfaces_interface_object_field_returns_entities",
        feature="entity interfaces",
        subgraphs={
            "appliances": APPLIANCES,
            "audit": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ recent: [Node!]! }}
                type Node @key(fields: "id") @interfaceObject {{ id: ID! owner: User twin: Node }}
                type User @key(fields: "id", resolvable: false) {{ id: ID! }}
                """,
                data={
                    "Query": {
                        "recent": [
                            {
                                "__typename": "Node",
                                "id": "s1",
                                "owner": {"id": "u1"},
                                "twin": {"id": "o1", "twin": {"id": "o2"}},
                            }
                        ]
                    },
                    "entities": {
                        "Node": [
                            {"id": "o1", "owner": {"id": "u2"}, "twin": {"id": "o2", "twin": None}},
                            {
                                "id": "s1",
                                "owner": {"id": "u1"},
                                "twin": {"id": "o1", "owner": {"id": "u2"}, "twin": {"id": "o2"}},
                            },
                            {"id": "o2", "owner": None, "twin": None},
                        ]
                    },
                },
            ),
            "people": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type User @key(fields: "id") {{ id: ID! name: String! }}
                """,
                data={
                    "entities": {"User": [{"id": "u1", "name": "Ann"}, {"id": "u2", "name": "Bob"}]}
                },
            ),
        },
        queries=(
            "{ appliances { id owner { name } } }",
            "{ recent { owner { id name } ... on Sink { litres } } }",
            "{ appliances { id twin { __typename label twin { id owner { name } } } } }",
            "{ recent { twin { ... on Oven { watts twin { id } } } } }",
        ),
    ),
    Case(
        name="entity_interfaces_implementation_field_shared_with_an_interface_object",
        feature="entity interfaces",
        subgraphs={
            "accounts": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ admins: [Admin!]! }}
                interface Account @key(fields: "id") {{ id: ID! }}
                type Admin implements Account @key(fields: "id") {{
                  id: ID!
                  active: Boolean! @shareable
                }}
                type Guest implements Account @key(fields: "id") {{ id: ID! }}
                """,
                data={
                    "Query": {"admins": [{"id": "a1", "active": True}]},
                    "entities": {
                        "Account": [
                            {"__typename": "Admin", "id": "a1", "active": True},
                            {"__typename": "Guest", "id": "g1"},
                        ],
                        "Admin": [{"id": "a1", "active": True}],
                        "Guest": [{"id": "g1"}],
                    },
                },
            ),
            "directory": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ everyone: [Account!]! }}
                type Account @key(fields: "id") @interfaceObject {{ id: ID! }}
                """,
                data={"Query": {"everyone": [{"id": "a1"}, {"id": "g1"}]}},
            ),
            "status": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Account @key(fields: "id") @interfaceObject {{
                  id: ID!
                  active: Boolean! @shareable
                }}
                """,
                data={
                    "entities": {
                        "Account": [{"id": "a1", "active": False}, {"id": "g1", "active": False}]
                    }
                },
            ),
        },
        queries=(
            "{ everyone { id active } }",
            "{ everyone { id ... on Admin { active } } }",
            "{ everyone { __typename ... on Guest { active } } admins { active } }",
        ),
    ),
    Case(
        name="entity_interfaces_interface_object_root_field_with_requires",
        feature="entity interfaces",
        subgraphs={
            "appliances": APPLIANCES,
            "labels": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ loud: [Node] }}
                type Node @key(fields: "id") @interfaceObject {{
                  id: ID!
                  label: String! @external
                  shout: String @requires(fields: "label")
                }}
                """,
                data={"Query": {"loud": [{"id": "s1"}, {"id": "o1"}]}},
                resolvers={"Node.shout": lambda parent: parent["label"].upper() + "!"},
            ),
        },
        queries=(
            "{ loud { id shout } }",
            "{ loud { shout label ... on Oven { watts } } }",
            "{ appliances { shout } }",
        ),
    ),
    Case(
        name="entity_interfaces_key_on_an_interface_of_a_federation_1_subgraph_is_dropped",
        feature="entity interfaces",
        subgraphs={
            "kitchen": Subgraph(
                sdl="""
                type Query { node(id: ID!): Node }
                interface Node @key(fields: "id") { id: ID! }
                type Oven implements Node @key(fields: "id") { id: ID! name: String }
                """,
                data={"Query": {"node": {"__typename": "Oven", "id": "o1", "name": "Big oven"}}},
            ),
            "plumbing": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ sinks: [Sink] }}
                interface Node {{ id: ID! }}
                type Sink implements Node @key(fields: "id") {{ id: ID! }}
                """,
                data={"Query": {"sinks": [{"id": "s1"}]}},
            ),
        },
        queries=('{ node(id: "o1") { id ... on Oven { name } } sinks { id } }',),
    ),
    Case(
        name="entity_interfaces_relay_node_subgraph_over_domains",
        feature="entity interfaces",
        subgraphs={
            "node": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ node(id: ID!): Node nodes(ids: [ID!]!): [Node]! }}
                interface Node @key(fields: "id") {{ id: ID! }}
                type Incident implements Node @key(fields: "id") {{ id: ID! }}
                type Server implements Node @key(fields: "id") {{ id: ID! }}
                """,
                resolvers={
                    # A Relay global id names its type: "Incident:1" is an Incident.
                    "Query.node": lambda _parent, id: {"__typename": id.split(":")[0], "id": id},
                    "Query.nodes": lambda _parent, ids: [
                        {"__typename": i.split(":")[0], "id": i} for i in ids
                    ],
                },
                data={
                    "entities": {
                        "Node": [
                            {"__typename": "Incident", "id": "Incident:1"},
                            {"__typename": "Server", "id": "Server:7"},
                        ]
                    }
                },
            ),
            "incidents": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ incidents: [Incident!]! }}
                interface Node {{ id: ID! }}
                type Incident implements Node @key(fields: "id") {{
                  id: ID!
                  title: String!
                  server: Server
                }}
                type Server @key(fields: "id", resolvable: false) {{ id: ID! }}
                """,
                data={
                    "Query": {
                        "incidents": [
                            {"id": "Incident:1", "title": "Disk full", "server": {"id": "Server:7"}}
                        ]
                    },
                    "entities": {
                        "Incident": [
                            {"id": "Incident:1", "title": "Disk full", "server": {"id": "Server:7"}}
                        ]
                    },
                },
            ),
            "cmdb": Subgraph(
                sdl=f"""
                extend schema {FED2}
                interface Node {{ id: ID! }}
                type Server implements Node @key(fields: "id") {{ id: ID! host: String! }}
                """,
                data={"entities": {"Server": [{"id": "Server:7", "host": "db1"}]}},
            ),
            "history": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Node @key(fields: "id") @interfaceObject {{ id: ID! revision: Int! }}
                """,
                data={
                    "entities": {
                        "Node": [
                            {"id": "Incident:1", "revision": 3},
                            {"id": "Server:7", "revision": 1},
                        ]
                    }
                },
            ),
        },
        queries=(
            '{ node(id: "Incident:1") { id revision ... on Incident { title server { host } } } }',
            '{ nodes(ids: ["Server:7", "Incident:1"]) { __typename revision '
            "... on Server { host } } }",
            "{ incidents { title server { id revision ... on Node { id } } } }",
        ),
    ),
    Case(
        name="entity_interfaces_interface_object_field_with_arguments_and_aliases",
        feature="entity interfaces",
        subgraphs={
            "appliances": APPLIANCES,
            "events": Subgraph(
                sdl=f"""
                extend schema {FED2}
                type Query {{ busiest: [Node!]! }}
                type Node @key(fields: "id") @interfaceObject {{
                  id: ID!
                  events(last: Int!): [String!]!
                }}
                """,
                data={
                    "Query": {"busiest": [{"id": "o1", "events": ["on", "off", "on"]}]},
                    "entities": {
                        "Node": [
                            {"id": "o1", "events": ["on", "off", "on"]},
                            {"id": "s1", "events": ["filled"]},
                            {"id": "o2", "events": []},
                        ]
                    },
                },
                resolvers={"Node.events": lambda parent, last: parent["events"][-last:]},
            ),
        },
        queries=(
            "{ busiest { one: events(last: 1) two: events(last: 2) kind: __typename } }",
            Query(
                "query($n: Int!) { appliances { id recent: events(last: $n) "
                "... on Oven { all: events(last: 9) } } }",
                {"n": 1},
            ),
        ),
    ),
]
