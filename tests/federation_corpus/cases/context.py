"""``@context``/``@fromContext`` (Federation 2.8): a field argument filled from an ancestor.

This router does not plan them: composition refuses them with ``UNSUPPORTED_FEATURE`` naming
each coordinate, after Apollo's own checks, so a context used but never set is refused with
Apollo's code. ``@apollo/gateway`` does not serve them either (an Apollo Router feature).
"""

from tests.federation_corpus.case import Case, Subgraph

FED28 = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.8", '
    'import: ["@key", "@shareable", "@context", "@fromContext"])'
)

CASES = [
    Case(
        name="context_argument_from_the_parent_entity",
        feature="context",
        difference=(
            "neither serves it: @apollo/gateway refuses the supergraph Apollo composes (the "
            "context spec is for: SECURITY, an Apollo Router feature); we refuse at composition "
            'with UNSUPPORTED_FEATURE naming "Team" and "Member.greeting(tone:)"'
        ),
        subgraphs={
            "teams": Subgraph(
                sdl=f"""
                {FED28}
                type Query {{ team: Team }}
                type Team @key(fields: "id") @context(name: "team") {{
                  id: ID!
                  tone: String
                  lead: Member
                }}
                type Member @key(fields: "id") {{
                  id: ID!
                  greeting(tone: String @fromContext(field: "$team {{ tone }}")): String
                }}
                """,
                data={"Query": {"team": {"id": "t1", "tone": "warm", "lead": {"id": "m1"}}}},
                resolvers={"Member.greeting": lambda parent, tone: f"{tone} hello {parent['id']}"},
            ),
            "people": Subgraph(
                sdl=f"""
                {FED28}
                type Member @key(fields: "id") {{ id: ID! name: String }}
                """,
                data={"entities": {"Member": [{"id": "m1", "name": "Ada"}]}},
            ),
        },
        queries=("{ team { lead { name greeting } } }",),
    ),
    Case(
        name="context_used_but_never_set",
        feature="context",
        subgraphs={
            "teams": Subgraph(
                sdl=f"""
                {FED28}
                type Query {{ team: Team }}
                type Team @key(fields: "id") {{ id: ID! tone: String lead: Member }}
                type Member @key(fields: "id") {{
                  id: ID!
                  greeting(tone: String @fromContext(field: "$team {{ tone }}")): String
                }}
                """,
                data={"Query": {"team": {"id": "t1", "lead": {"id": "m1"}}}},
            ),
        },
        queries=("{ team { lead { greeting } } }",),
    ),
]
