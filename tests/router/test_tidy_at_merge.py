"""Objects tidied as entity answers are merged: where the last entity fetch writing at a
Flatten path merges its answer, each object there is rewritten in the client's order at
once, and ``finish`` does not walk the tree to find it again. Whatever cannot be tidied (an
entity nobody found, a failed fetch) is shaped as before: nulls and errors where they were.

Four small subgraphs of one ``Item``: shop lists them, stock and pricing add a field each
(fetched in parallel), shipping ``@requires`` stock (fetched after it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
import strawberry.federation as federation
from graphql import GraphQLSchema

from router.composition import KeyField, compose
from router.execution import (
    InProcessTransport,
    PlanExecution,
    SubgraphRequest,
    SubgraphResponse,
)
from router.execution import one_tree as one_tree_module
from router.execution.one_tree import one_tree
from router.execution.tree import merge_in_order
from router.gateway import Gateway
from router.planning import FetchNode, FlattenNode, RequiredEntity
from tests.router.fixture_subgraphs import SCHEMAS as FIXTURE_SCHEMAS
from tests.router.fixture_subgraphs import RequestContext, in_process, sources

STOCK = {"i1": 3, "i2": 0, "i3": 7}
SHOP = {"ids": ["i1", "i2", "i3"], "failing": ""}  # what a test changes


@federation.type(keys=["id"])
class Item:
    id: strawberry.ID
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Item:
        return Item(id=id, name=f"Item {id}")


@strawberry.type
class ShopQuery:
    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(id=strawberry.ID(key), name=f"Item {key}") for key in SHOP["ids"]]


@federation.type(name="Item", keys=["id"])
class StockItem:
    id: strawberry.ID

    @strawberry.field
    def stock(self) -> int | None:
        return STOCK[str(self.id)]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> StockItem | None:
        return StockItem(id=id) if str(id) in STOCK else None  # i9: nobody knows it


@federation.type(name="Item", keys=["id"])
class PriceItem:
    id: strawberry.ID

    @strawberry.field
    def price(self) -> int | None:
        if str(self.id) == SHOP["failing"]:
            raise RuntimeError("pricing is down for this one")
        return 10 * int(str(self.id)[1:])

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> PriceItem:
        return PriceItem(id=id)


@federation.type(name="Item", keys=["id"])
class ShipItem:
    id: strawberry.ID
    stock: int | None = federation.field(external=True)

    @federation.field(requires=["stock"])
    def ships(self) -> bool:
        return bool(self.stock)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, stock: int | None = None) -> ShipItem:
        return ShipItem(id=id, stock=stock)


SCHEMAS = {
    "shop": federation.Schema(query=ShopQuery, types=[Item]),
    "stock": federation.Schema(types=[StockItem]),
    "pricing": federation.Schema(types=[PriceItem]),
    "shipping": federation.Schema(types=[ShipItem]),
}
PARALLEL = "{ items { name stock price } }"  # stock and pricing in parallel
SEQUENCE = "{ items { ships name stock } }"  # stock, then shipping with it


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    return Gateway(
        compose(sources(SCHEMAS)), {name: in_process(schema) for name, schema in SCHEMAS.items()}
    )


@pytest.fixture(autouse=True)
def shop() -> Iterator[dict[str, Any]]:
    yield SHOP
    SHOP.update(ids=["i1", "i2", "i3"], failing="")


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many objects ``finish`` visits (router/execution/one_tree.py ``_visit``)."""
    visited: list[int] = []
    visit = one_tree_module._visit

    def counting(value: Any, step: Any, found: Any) -> bool:
        visited.append(1)
        return visit(value, step, found)

    monkeypatch.setattr(one_tree_module, "_visit", counting)
    return visited


async def run(gateway: Gateway, query: str) -> dict[str, Any]:
    return await gateway.execute(query, None, None, RequestContext())


@pytest.mark.parametrize("query", [PARALLEL, SEQUENCE])
def test_the_last_flattens_path_is_tidied_at_merge_and_finish_has_nothing_left(
    gateway: Gateway, query: str
) -> None:
    plan = gateway.prepare(query, None, None).plan
    tree = one_tree(plan, None)

    assert tree is not None and tree.at_merge is not None
    assert tree.at_merge.writers == {("items", "@"): 2}  # two Flattens write there
    assert len(tree.at_merge.flattens) == 2
    assert tree.rest.position is None and not tree.rest.below


async def test_two_fetches_in_parallel_one_rewrite_no_walk(
    gateway: Gateway, walks: list[int]
) -> None:
    result = await run(gateway, PARALLEL)

    assert result == {
        "data": {
            "items": [
                {"name": "Item i1", "stock": 3, "price": 10},
                {"name": "Item i2", "stock": 0, "price": 20},
                {"name": "Item i3", "stock": 7, "price": 30},
            ]
        }
    }
    assert all(list(item) == ["name", "stock", "price"] for item in result["data"]["items"])
    assert walks == []


async def test_a_fetch_after_another_reads_its_fields_before_the_last_one_tidies(
    gateway: Gateway, walks: list[int]
) -> None:
    """shipping needs stock's answer in its representations: the first Flatten merges
    only; the second rewrites the objects, stock's key fields gone."""
    result = await run(gateway, SEQUENCE)

    assert result == {
        "data": {
            "items": [
                {"ships": True, "name": "Item i1", "stock": 3},
                {"ships": False, "name": "Item i2", "stock": 0},
                {"ships": True, "name": "Item i3", "stock": 7},
            ]
        }
    }
    assert all(list(item) == ["ships", "name", "stock"] for item in result["data"]["items"])
    assert walks == []


async def test_typename_and_aliases_at_an_entity_path(gateway: Gateway, walks: list[int]) -> None:
    result = await run(gateway, "{ items { n: name __typename s: stock p: price } }")

    assert result["data"]["items"][0] == {"n": "Item i1", "__typename": "Item", "s": 3, "p": 10}
    assert all(list(item) == ["n", "__typename", "s", "p"] for item in result["data"]["items"])
    assert walks == []


async def test_an_entity_nobody_finds_is_shaped_with_its_null(
    gateway: Gateway, walks: list[int]
) -> None:
    """stock knows no i9: its object misses ``stock`` when the last answer is merged, so
    the response is shaped, its ``stock`` null, without a walk first."""
    SHOP["ids"] = ["i1", "i9"]

    result = await run(gateway, PARALLEL)

    assert result == {
        "data": {
            "items": [
                {"name": "Item i1", "stock": 3, "price": 10},
                {"name": "Item i9", "stock": None, "price": 90},
            ]
        }
    }
    assert walks == []


async def test_a_failed_field_is_shaped_with_its_error_where_it_was_asked(
    gateway: Gateway,
) -> None:
    SHOP["failing"] = "i2"

    result = await run(gateway, PARALLEL)

    assert result["data"]["items"][1] == {"name": "Item i2", "stock": 0, "price": None}
    assert [error["path"] for error in result["errors"]] == [["items", 1, "price"]]
    assert result["errors"][0]["message"] == "pricing is down for this one"


def test_a_path_an_entity_answer_writes_below_is_left_to_finish() -> None:
    """Below an entity fetch's path, one entity's answer stands at every object of it (the
    same author dict in two reviews): those positions stay with ``finish``, which sees an
    object met twice."""
    gateway = Gateway(
        compose(sources(FIXTURE_SCHEMAS)),
        {name: in_process(schema) for name, schema in FIXTURE_SCHEMAS.items()},
    )
    plan = gateway.prepare("{ topProducts { reviews { author { name } } } }", None, None).plan
    tree = one_tree(plan, None)

    assert tree is not None and tree.at_merge is not None
    assert ("topProducts", "@", "reviews", "@", "author") not in tree.at_merge.writers
    assert tree.rest.below  # finish still walks to the authors


def test_merging_in_order_merges_nested_objects_and_reports_a_missing_key() -> None:
    target = {"__typename": "T", "id": "1", "a": {"x": 1}, "b": 2}
    assert merge_in_order(target, {"c": 3, "a": {"y": 2}}, ("c", "a", "b"))
    assert target == {"c": 3, "a": {"x": 1, "y": 2}, "b": 2}
    assert list(target) == ["c", "a", "b"]

    untouched = {"__typename": "T", "id": "1", "b": 2}
    assert not merge_in_order(untouched, {"a": 1}, ("a", "b", "missing"))
    assert untouched == {"__typename": "T", "id": "1", "b": 2, "a": 1}  # merged, not tidied


def test_merging_in_order_drops_what_the_router_asked_for_itself() -> None:
    """The usual merge: the object holds the first keys (with the router's own __typename
    and key), the answer the rest; objects out of order and nested answers alike."""
    target = {"__typename": "T", "id": "1", "name": "n"}
    assert merge_in_order(target, {"open": [1], "count": 2}, ("id", "name", "open", "count"))
    assert list(target.items()) == [("id", "1"), ("name", "n"), ("open", [1]), ("count", 2)]

    stub = {"__typename": "User", "id": "u1"}
    assert merge_in_order(stub, {"name": "Ada", "email": "a@x"}, ("name", "email"))
    assert list(stub.items()) == [("name", "Ada"), ("email", "a@x")]

    swapped = {"__typename": "T", "name": "n", "id": "1"}
    assert merge_in_order(swapped, {"open": []}, ("id", "name", "open"))
    assert list(swapped) == ["id", "name", "open"]

    overlapping = {"id": "1", "a": {"x": 1}}
    assert merge_in_order(overlapping, {"a": {"y": 2}}, ("id", "a"))
    assert overlapping == {"id": "1", "a": {"x": 1, "y": 2}}


async def test_representations_are_one_per_type_and_key_whatever_the_key_values_type() -> None:
    """Equal ids of two types are two entities; equal ids of one type, one (string ids take
    a shortcut to their identity, other values their JSON)."""
    sent: list[list[dict[str, Any]]] = []

    class Answering:
        async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
            assert request.variables is not None
            representations = request.variables["representations"]
            sent.append([dict(r) for r in representations])
            return SubgraphResponse({"_entities": [{"seen": r["id"]} for r in representations]})

    key = (KeyField("id"),)
    fetch = FetchNode(
        "s", "q", None, (), "", (RequiredEntity("User", key), RequiredEntity("Team", key))
    )
    execution = PlanExecution(GraphQLSchema(), {"s": Answering()}, {}, None)
    execution.data = {
        "a": [
            {"__typename": "User", "id": "1"},
            {"__typename": "Team", "id": "1"},
            {"__typename": "User", "id": "1"},
            {"__typename": "User", "id": 1},
            {"__typename": "User", "id": 1},
            {"__typename": "User", "id": None},
        ]
    }

    await execution.run(FlattenNode((("a", "@"),), fetch))

    assert sent == [
        [
            {"__typename": "User", "id": "1"},
            {"__typename": "Team", "id": "1"},
            {"__typename": "User", "id": 1},
        ]
    ]
    assert [obj.get("seen") for obj in execution.data["a"]] == ["1", "1", "1", 1, 1, None]


async def test_an_in_process_subgraph_gets_the_requests_own_variable_uncopied() -> None:
    """Representations are built for one request: handed on as they are. Variables the
    client sent are shared by fetches: the subgraph gets a copy of those."""
    received: list[dict[str, Any] | None] = []

    async def execute(
        query: str, variables: dict[str, Any] | None, operation_name: str | None, context: object
    ) -> dict[str, Any]:
        received.append(variables)
        return {"data": {}}

    transport = InProcessTransport(execute)
    representations = [{"__typename": "Item", "id": "i1"}]
    shared = {"zone": ["EU"]}
    variables = {"zone": shared["zone"], "representations": representations}

    await transport.fetch(SubgraphRequest("q", variables, None, "representations"), None)
    await transport.fetch(SubgraphRequest("q", variables, None), None)

    own, copied = received
    assert own is not None and copied is not None
    assert own == copied == variables
    assert own["representations"] is representations
    assert own["zone"] is not shared["zone"]
    assert copied["representations"] is not representations
