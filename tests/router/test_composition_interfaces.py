"""Composition of entity interfaces (``@key`` on an interface) and ``@interfaceObject``."""

from __future__ import annotations

import pytest

from router.composition import CompositionError, SubgraphSource, compose, print_supergraph
from router.composition.supergraph_reader import read_supergraph
from tests.router.fixture_interfaces import LINK, interface_sources

OWNER = """
    type Query { node(id: ID!): Node }
    interface Node @key(fields: "id") { id: ID! }
    type Oven implements Node @key(fields: "id") { id: ID! }
"""


def subgraph(name: str, body: str) -> SubgraphSource:
    return SubgraphSource(name, LINK + body)


def codes_of(*sources: SubgraphSource) -> list[tuple[str, str]]:
    with pytest.raises(CompositionError) as raised:
        compose(list(sources))
    return [(issue.code, issue.message) for issue in raised.value.issues]


def test_interface_object_fields_are_added_to_every_implementation() -> None:
    supergraph = compose(interface_sources())

    created_by = supergraph.types["Sink"].fields["createdBy"]
    assert created_by.resolvable_in == frozenset({"audit"})
    assert created_by.interface_objects == {"audit": "Node"}
    assert supergraph.types["Node"].interface_object_in == frozenset({"audit", "labels"})
    assert "createdBy" in supergraph.schema.get_type("Oven").fields  # type: ignore[union-attr]


def test_the_supergraph_marks_interface_objects_and_the_fields_they_add() -> None:
    printed = print_supergraph(compose(interface_sources()))

    assert '@join__type(graph: AUDIT, key: "id", isInterfaceObject: true)' in printed
    assert "  createdBy: String! @join__field\n" in printed  # on Oven and Sink: no graph


def test_a_key_on_an_interface_must_be_on_every_implementation() -> None:
    issues = codes_of(
        subgraph("a", OWNER + "type Sink implements Node { id: ID! }"),
    )

    assert issues == [
        (
            "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
            '[a] Key @key(fields: "id") on interface type "Node" is missing on '
            'implementation(s) "Sink".',
        )
    ]


def test_a_resolvable_interface_key_needs_every_implementation_in_its_subgraph() -> None:
    issues = codes_of(
        subgraph("a", OWNER),
        subgraph(
            "b",
            "type Query { sinks: [Sink] } interface Node { id: ID! } "
            'type Sink implements Node @key(fields: "id") { id: ID! }',
        ),
    )

    assert [code for code, _ in issues] == ["INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE"]


@pytest.mark.parametrize(
    "body",
    [
        "type Query { n: Node } type Node @interfaceObject { id: ID! }",
        'type Query { n: Node } type Node @key(fields: "id") @interfaceObject { id: ID! } '
        'type Oven @key(fields: "id") { id: ID! }',
    ],
    ids=["without a key", "beside an implementation"],
)
def test_interface_objects_misused_are_refused(body: str) -> None:
    issues = codes_of(subgraph("a", OWNER), subgraph("b", body))

    assert [code for code, _ in issues] == ["INTERFACE_OBJECT_USAGE_ERROR"]


def test_an_interface_object_needs_the_interface_somewhere() -> None:
    issues = codes_of(
        subgraph(
            "b", 'type Query { n: Node } type Node @key(fields: "id") @interfaceObject { id: ID! }'
        ),
    )

    assert [code for code, _ in issues] == ["INTERFACE_OBJECT_USAGE_ERROR"]


def test_a_subgraph_returning_an_interface_object_needs_an_owner_with_a_key() -> None:
    issues = codes_of(
        subgraph(
            "a",
            "type Query { all: [Node] } interface Node { id: ID! } "
            'type Oven implements Node @key(fields: "id") { id: ID! }',
        ),
        subgraph(
            "b",
            'type Query { recent: [Node] } type Node @key(fields: "id") @interfaceObject '
            "{ id: ID! note: String }",
        ),
    )

    assert [code for code, _ in issues] == ["SATISFIABILITY_ERROR"]


def test_an_override_source_keeps_a_field_its_interface_declares() -> None:
    printed = print_supergraph(compose(interface_sources()))

    # shop's Book still implements Product, whose price it must keep (Apollo prints it so).
    assert (
        '  price: Int! @join__field(graph: PRICING, override: "shop") '
        "@join__field(graph: SHOP, usedOverridden: true)\n" in printed
    )


def test_a_field_shared_with_an_interface_object_reads_back_from_the_supergraph_file() -> None:
    composed = compose(
        [
            subgraph(
                "accounts",
                'type Query { admins: [Admin] } interface Account @key(fields: "id") { id: ID! } '
                'type Admin implements Account @key(fields: "id") '
                "{ id: ID! active: Boolean @shareable }",
            ),
            subgraph(
                "status",
                'type Account @key(fields: "id") @interfaceObject '
                "{ id: ID! active: Boolean @shareable }",
            ),
        ]
    )

    # The file has no @shareable: both copies of "active" must be read as shared.
    back = read_supergraph(print_supergraph(composed))

    active = back.types["Admin"].fields["active"]
    assert active.resolvable_in == frozenset({"accounts", "status"})
    assert active.interface_objects == {"status": "Account"}
