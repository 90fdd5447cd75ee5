"""``@policy``: composed per coordinate like scopes, printed into the supergraph SDL as
Apollo does, and enforced by the router from the caller's permissions."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from graphql import build_schema, graphql_sync, parse

from router.composition import (
    AccessRequirement,
    CompositionError,
    SubgraphSource,
    compose,
    print_supergraph,
)
from router.composition.supergraph_reader import read_supergraph
from router.execution import SubgraphRequest, SubgraphResponse
from router.gateway import Gateway
from router.pipeline.authorization import GuardCache, authorize

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: '
    '["@key", "@shareable", "@policy", "@requiresScopes"])\n'
)
SOURCES = [
    SubgraphSource(
        "tickets",
        LINK
        + """
        type Query { tickets: [Ticket!]! }
        type Ticket @key(fields: "id") {
          id: ID!
          title: String
          internalNote: String @policy(policies: [["triage"], ["audit", "support"]])
          owner: Owner @shareable
        }
        type Owner @shareable @policy(policies: [["people"]]) { name: String }
        """,
    ),
    SubgraphSource(
        "people",
        LINK
        + """
        type Ticket @key(fields: "id") {
          id: ID!
          owner: Owner @shareable @requiresScopes(scopes: [["read"]])
        }
        type Owner @shareable @policy(policies: [["hr"]]) { name: String }
        """,
    ),
]
KEY = ("digest", None, "v1")


@dataclass(frozen=True)
class Grants:
    authenticated: bool = True
    permissions: frozenset[str] = frozenset()


def test_policies_are_recorded_and_and_ed_across_subgraphs() -> None:
    access = compose(SOURCES).access

    assert access["Ticket.internalNote"] == AccessRequirement(
        policies=(("triage",), ("audit", "support"))
    )
    assert access["Owner"] == AccessRequirement(policies=(("hr", "people"),))
    assert access["Ticket.owner"] == AccessRequirement(scopes=(("read",),))


def test_the_supergraph_links_the_policy_spec_for_security() -> None:
    sdl = print_supergraph(compose(SOURCES))

    assert '@link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)' in sdl
    assert "directive @policy(policies: [[policy__Policy!]!]!) on FIELD_DEFINITION" in sdl
    assert "scalar policy__Policy" in sdl
    assert (
        'internalNote: String @join__field(graph: TICKETS) @policy(policies: [["triage"], ' in sdl
    )
    assert '@policy(policies: [["hr", "people"]])' in sdl


def test_a_policy_is_held_through_the_permission_of_the_same_name() -> None:
    requirement = AccessRequirement(policies=(("triage",), ("audit", "support")))

    assert requirement.allows(True, {"triage"})
    assert requirement.allows(False, {"audit", "support"})
    assert not requirement.allows(True, {"audit"})


def test_a_field_under_a_policy_the_caller_lacks_is_pruned_with_an_error() -> None:
    supergraph = compose(SOURCES)
    query = parse("{ tickets { title internalNote } }")
    guarded = GuardCache(supergraph, capacity=4).guarded(KEY, query, None)

    authorized = authorize(supergraph, guarded, Grants(permissions=frozenset({"audit"})))

    assert authorized.denied == ("Ticket.internalNote",)
    [error] = authorized.errors
    assert error["message"] == (
        "Missing policy triage or (audit and support) for Ticket.internalNote"
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["requiredPolicies"] == [["triage"], ["audit", "support"]]
    assert error["path"] == ["tickets", "@", "internalNote"]
    allowed = authorize(supergraph, guarded, Grants(permissions=frozenset({"triage"})))
    assert allowed.denied == ()


def test_an_anonymous_caller_is_told_to_authenticate() -> None:
    supergraph = compose(SOURCES)
    query = parse("{ tickets { owner { name } } }")
    guarded = GuardCache(supergraph, capacity=4).guarded(KEY, query, None)

    authorized = authorize(supergraph, guarded, Grants(authenticated=False))

    assert [e["extensions"]["code"] for e in authorized.errors] == ["UNAUTHENTICATED"]
    assert authorized.errors[0]["extensions"]["requiredScopes"] == [["read"]]


def test_a_single_policy_stands_for_a_list_of_one_as_graphql_coerces_it() -> None:
    supergraph = compose(
        [SubgraphSource("a", LINK + 'type Query { a: Int @policy(policies: "triage") }')]
    )

    assert supergraph.access["Query.a"] == AccessRequirement(policies=(("triage",),))


@pytest.mark.parametrize(
    ("body", "issue"),
    [
        (
            'type Query { n: Node } interface Node { id: ID! @policy(policies: [["p"]]) } '
            "type T implements Node { id: ID! }",
            (
                "AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE",
                '[a] Invalid use of @policy on field "Node.id": @policy cannot be applied on '
                "interfaces, interface fields and interface objects",
            ),
        ),
        (
            'type Query { n(x: Int @requiresScopes(scopes: [["s"]])): Int }',
            (
                "INVALID_GRAPHQL",
                '[a] Directive "@requiresScopes" may not be used on ARGUMENT_DEFINITION.',
            ),
        ),
    ],
)
def test_access_directives_out_of_place_are_refused_as_apollo_refuses_them(
    body: str, issue: tuple[str, str]
) -> None:
    with pytest.raises(CompositionError) as raised:
        compose([SubgraphSource("a", LINK + body)])

    assert [(i.code, i.message) for i in raised.value.issues] == [issue]


TICKETS = build_schema(
    """
    type Query { tickets: [Ticket!]! }
    type Ticket { id: ID! title: String internalNote: String }
    """
)


@dataclass
class TicketsTransport:
    """Answers the tickets subgraph's root field; logs every request it gets."""

    requests: list[str] = field(default_factory=list)

    async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
        self.requests.append(request.query)
        root = {"tickets": [{"id": "t1", "title": "Printer", "internalNote": "VIP"}]}
        result = graphql_sync(TICKETS, request.query, root, variable_values=request.variables)
        return SubgraphResponse(result.data, [error.formatted for error in result.errors or ()])


@dataclass(frozen=True)
class Context:
    principal: Grants


async def test_the_router_answers_a_field_under_a_policy_only_to_its_holders() -> None:
    tickets = TicketsTransport()
    gateway = Gateway(compose(SOURCES), {"tickets": tickets, "people": TicketsTransport()})
    query = "{ tickets { title internalNote } }"

    denied = await gateway.execute(query, None, None, Context(Grants(permissions=frozenset())))
    held = await gateway.execute(
        query, None, None, Context(Grants(permissions=frozenset({"triage"})))
    )

    assert denied == {
        "errors": [
            {
                "message": "Missing policy triage or (audit and support) for Ticket.internalNote",
                "path": ["tickets", "@", "internalNote"],
                "extensions": {
                    "code": "FORBIDDEN",
                    "requiredPolicies": [["triage"], ["audit", "support"]],
                },
            }
        ],
        "data": {"tickets": [{"title": "Printer", "internalNote": None}]},
    }
    assert held == {"data": {"tickets": [{"title": "Printer", "internalNote": "VIP"}]}}
    assert tickets.requests == [
        "query { tickets { title } }",
        "query { tickets { title internalNote } }",
    ]


def test_a_supergraph_file_read_back_keeps_its_policies() -> None:
    # ``opsgraph router --supergraph FILE`` must enforce what the file says.
    composed = compose(SOURCES)

    read = read_supergraph(print_supergraph(composed))

    assert read.access == composed.access
