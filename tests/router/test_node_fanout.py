"""Relay's `node`/`nodes` shareable in several subgraphs, each resolving its own `Node`
implementations (router/planning/node_fanout.py): every subgraph asked in parallel, the first
non-null answer kept per position, the other subgraphs' fields fetched once after; a `node`
resolved by one subgraph plans as any root field."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
import strawberry.federation as federation
from graphql import GraphQLError, parse
from strawberry.federation.schema_directives import FieldSet, Key

from router.composition import Supergraph, compose
from router.execution import Transport
from router.execution.tree import coalesce
from router.gateway import Gateway
from router.planning import FetchNode, format_plan, plan
from tests.router.fixture_subgraphs import CountingTransport, RequestContext, in_process, sources


@strawberry.interface
class Node:
    id: strawberry.ID


def _check(id: str) -> None:
    if not id.isalnum():
        raise GraphQLError(f"id {id!r} is not a valid id", extensions={"code": "BAD_USER_INPUT"})


# shelves: owns Book; Author is a stub there (a Node too, never returned by its `node`).
@federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)], name="Author")
class AuthorStub(Node):
    id: strawberry.ID


@federation.type(keys=["id"])
class Book(Node):
    id: strawberry.ID
    title: str
    author: AuthorStub

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Book | None:
        return BOOKS.get(id)


BOOKS = {"b1": Book(id="b1", title="Dune", author=AuthorStub(id="a1"))}  # type: ignore[arg-type]


def _shelves_node(id: strawberry.ID) -> Node | None:
    _check(id)
    return BOOKS.get(id)


def _shelves_nodes(ids: list[strawberry.ID]) -> list[Node | None]:
    return [_shelves_node(id) for id in ids]


@strawberry.type
class ShelvesQuery:
    node: Node | None = federation.field(resolver=_shelves_node, shareable=True)
    nodes: list[Node | None] = federation.field(resolver=_shelves_nodes, shareable=True)


# people: owns Author, and adds `readers` to Book.
@federation.type(keys=["id"])
class Author(Node):
    id: strawberry.ID
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Author | None:
        return AUTHORS.get(id)


@federation.type(keys=["id"], name="Book")
class BookReaders:
    id: strawberry.ID
    readers: int

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> BookReaders:
        return BookReaders(id=id, readers=7)


AUTHORS = {"a1": Author(id="a1", name="Herbert")}  # type: ignore[arg-type]


def _people_node(id: strawberry.ID) -> Node | None:
    _check(id)
    return AUTHORS.get(id)


def _people_nodes(ids: list[strawberry.ID]) -> list[Node | None]:
    return [_people_node(id) for id in ids]


@strawberry.type
class PeopleQuery:
    node: Node | None = federation.field(resolver=_people_node, shareable=True)
    nodes: list[Node | None] = federation.field(resolver=_people_nodes, shareable=True)


SCHEMAS = {
    "shelves": federation.Schema(query=ShelvesQuery, types=[Book, AuthorStub]),
    "people": federation.Schema(query=PeopleQuery, types=[Author, BookReaders]),
}

QUERY = """query($ids: [ID!]!) { nodes(ids: $ids) {
  __typename id
  ... on Book { title readers author { name } }
  ... on Author { name }
} }"""


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return compose(sources(SCHEMAS))


@pytest.fixture
def transports() -> dict[str, CountingTransport]:
    return {name: CountingTransport(name, in_process(s), []) for name, s in SCHEMAS.items()}


@pytest.fixture
def gateway(supergraph: Supergraph, transports: dict[str, CountingTransport]) -> Gateway:
    routed: dict[str, Transport] = dict(transports)
    return Gateway(supergraph, routed)


def test_every_subgraph_is_asked_only_for_what_it_refetches(supergraph: Supergraph) -> None:
    printed = format_plan(plan(supergraph, parse(QUERY), None))
    lines = [line.strip() for line in printed.splitlines()]
    assert lines[:4] == ["QueryPlan {", "Sequence {", "Parallel {", lines[3]]
    # people is not asked about books (it cannot refetch them), nor shelves about authors.
    assert lines[3:5] == [
        'Fetch(service: "people") { { nodes(ids: $ids) { __typename id '
        "... on Author { name } } } },",
        'Fetch(service: "shelves") { { nodes(ids: $ids) { __typename id '
        "... on Book { title author { __typename id } } } } },",
    ]
    # Then, once both answered, the fields people adds to what shelves found, in one call.
    assert lines[5:8] == [
        "},",
        'Flatten(paths: ["nodes.@", "nodes.@.author"]) {',
        'Fetch(service: "people") { { ... on Book { __typename id } ... on Author { __typename '
        "id } } => { ... on Book { readers } ... on Author { name } } },",
    ]
    root = plan(supergraph, parse(QUERY), None).node
    fetches = [n for n in root.nodes[0].nodes]  # type: ignore[union-attr]
    assert all(isinstance(f, FetchNode) and f.coalesce for f in fetches)


async def test_nodes_keep_the_first_answer_per_position(
    gateway: Gateway, transports: dict[str, CountingTransport]
) -> None:
    result = await gateway.execute(QUERY, {"ids": ["a1", "zz", "b1"]}, None, RequestContext())
    assert result == {
        "data": {
            "nodes": [
                {"__typename": "Author", "id": "a1", "name": "Herbert"},
                None,
                {
                    "__typename": "Book",
                    "id": "b1",
                    "title": "Dune",
                    "readers": 7,
                    "author": {"name": "Herbert"},
                },
            ]
        }
    }
    # One root fetch each, then one entity call for the books' readers and their authors.
    assert [len(t.requests) for t in transports.values()] == [1, 2]


async def test_node_answers_from_the_owning_subgraph(gateway: Gateway) -> None:
    query = "query($id: ID!) { node(id: $id) { id ... on Book { title } ... on Author { name } } }"
    book = await gateway.execute(query, {"id": "b1"}, None, RequestContext())
    author = await gateway.execute(query, {"id": "a1"}, None, RequestContext())
    missing = await gateway.execute(query, {"id": "x9"}, None, RequestContext())
    assert book == {"data": {"node": {"id": "b1", "title": "Dune"}}}
    assert author == {"data": {"node": {"id": "a1", "name": "Herbert"}}}
    assert missing == {"data": {"node": None}}


async def test_the_same_error_of_every_subgraph_is_reported_once(gateway: Gateway) -> None:
    result = await gateway.execute('{ node(id: "no-pe") { id } }', None, None, RequestContext())
    assert result["data"] == {"node": None}
    assert [(e["path"], e["extensions"]["code"]) for e in result["errors"]] == [
        (["node"], "BAD_USER_INPUT")
    ]


def test_a_node_of_one_subgraph_plans_as_any_root_field() -> None:
    only = compose([s for s in sources(SCHEMAS) if s.name == "shelves"])
    root = plan(only, parse('{ node(id: "b1") { id } }'), None).node
    assert isinstance(root, FetchNode) and not root.coalesce


def test_coalesce_fills_only_what_is_still_null() -> None:
    data: dict[str, Any] = {}
    coalesce(data, {"node": None, "nodes": [None, {"id": "b1"}, None]})
    coalesce(data, {"node": {"id": "a1"}, "nodes": [{"id": "a1"}, {"id": "zz"}, None]})
    coalesce(data, {"node": {"id": "other"}, "nodes": None})
    assert data == {"node": {"id": "a1"}, "nodes": [{"id": "a1"}, {"id": "b1"}, None]}


async def test_a_field_selected_twice_keeps_both_selections(gateway: Gateway) -> None:
    query = """query($ids: [ID!]!) {
      nodes(ids: $ids) { id ... on Author { name } }
      ...More
    }
    fragment More on Query { nodes(ids: $ids) { ... on Book { title readers } } }"""
    result = await gateway.execute(query, {"ids": ["b1", "a1"]}, None, RequestContext())
    assert result == {
        "data": {
            "nodes": [
                {"id": "b1", "title": "Dune", "readers": 7},
                {"id": "a1", "name": "Herbert"},
            ]
        }
    }
