"""Authorization pruning: what a caller may not select is removed before planning, answered
null with a FORBIDDEN (or UNAUTHENTICATED) error at its path, and never fetched."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from graphql import build_schema, graphql_sync, parse

from router.composition import Supergraph, compose
from router.execution import SubgraphRequest, SubgraphResponse
from router.gateway import Gateway
from router.planning import format_plan, guard, plan_operation, prune, select_operation
from tests.router.fixture_access import access_sources

SHOP = build_schema(
    """
    type Query {
      orders: [Order!]! order(id: ID!): Order me: Customer ping: String search: [SearchResult!]!
    }
    union SearchResult = Order | Customer
    type Order { id: ID! total: Int notes: String customer: Customer }
    type Customer { name: String }
    """
)
ORDERS = {
    "orders": [
        {"id": "o1", "total": 10, "notes": "fragile", "customer": {"name": "Ada"}},
        {"id": "o2", "total": 25, "notes": None, "customer": None},
    ],
    "me": {"name": "Ada"},
    "ping": "pong",
    "search": [{"__typename": "Order", "id": "o1"}, {"__typename": "Customer", "name": "Ada"}],
}


@pytest.fixture(scope="module")
def shop() -> Supergraph:
    return compose(access_sources())


@dataclass(frozen=True)
class Caller:
    authenticated: bool = True
    permissions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Context:
    principal: Caller


@dataclass
class ShopTransport:
    """Answers shop's root fields from ``ORDERS``; logs every request it gets."""

    requests: list[str] = field(default_factory=list)

    async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
        self.requests.append(request.query)
        result = graphql_sync(SHOP, request.query, ORDERS, variable_values=request.variables)
        return SubgraphResponse(result.data, [error.formatted for error in result.errors or ()])


@pytest.fixture
def transports() -> dict[str, ShopTransport]:
    return {"shop": ShopTransport(), "billing": ShopTransport()}


@pytest.fixture
def gateway(shop: Supergraph, transports: dict[str, ShopTransport]) -> Gateway:
    return Gateway(shop, dict(transports))


def pruned_plan(supergraph: Supergraph, query: str, caller: Caller) -> tuple[str, list[str]]:
    guarded = guard(supergraph, select_operation(supergraph, parse(query), None))
    denied = guarded.denied(caller.authenticated, caller.permissions)
    operation, removed = prune(supergraph, guarded.operation, denied)
    return (
        format_plan(plan_operation(supergraph, operation)),
        [f"{'.'.join(r.path)} {r.selected} ({r.denied})" for r in removed],
    )


def test_requirements_of_an_operation_are_collected_once(shop: Supergraph) -> None:
    operation = select_operation(
        shop, parse("{ orders { id total invoice { number } customer { name } } ping }"), None
    )

    guarded = guard(shop, operation)

    assert sorted(guarded.requirements) == ["Customer", "Order.invoice", "Order.total"]
    assert guarded.denied(True, {"orders:read", "admin"}) == ()
    assert guarded.denied(False, {"orders:read"}) == ("Customer", "Order.invoice")


def test_denied_fields_are_removed_before_planning(shop: Supergraph) -> None:
    query = "{ orders { id total invoice { number } customer { name } } ping }"

    plan, removed = pruned_plan(shop, query, Caller(permissions=frozenset({"orders:read"})))

    assert plan == (
        'QueryPlan {\n  Fetch(service: "shop") { { orders { id total customer { name } } '
        "ping } },\n}"
    )
    assert removed == ["orders.@.invoice Order.invoice (Order.invoice)"]


def test_a_field_returning_a_restricted_type_is_removed(shop: Supergraph) -> None:
    plan, removed = pruned_plan(shop, "{ me { name } ping }", Caller(authenticated=False))

    assert plan == 'QueryPlan {\n  Fetch(service: "shop") { { ping } },\n}'
    assert removed == ["me Query.me (Customer)"]


def test_a_selection_set_emptied_by_pruning_takes_its_field_along(shop: Supergraph) -> None:
    plan, removed = pruned_plan(shop, "{ orders { total } ping }", Caller())

    assert plan == 'QueryPlan {\n  Fetch(service: "shop") { { ping } },\n}'
    assert removed == ["orders.@.total Order.total (Order.total)"]


def test_nothing_left_plans_no_fetch(shop: Supergraph) -> None:
    plan, removed = pruned_plan(shop, 'mutation { refund(orderId: "o1") }', Caller())

    assert plan == "QueryPlan {\n}"
    assert removed == ["refund Mutation.refund (Mutation.refund)"]


def test_fragment_on_a_restricted_type_is_removed(shop: Supergraph) -> None:
    query = "{ search { ... on Order { id } ... on Customer { name } } }"

    plan, removed = pruned_plan(shop, query, Caller(authenticated=False))

    assert plan == (
        'QueryPlan {\n  Fetch(service: "shop") { { search { __typename ... on Order { id } } '
        "} },\n}"
    )
    assert removed == ["search.@ ... on Customer (Customer)"]


async def test_fields_of_a_pruned_fragment_are_null(gateway: Gateway) -> None:
    anonymous = Context(Caller(authenticated=False))
    query = "{ search { ... on Order { id } ... on Customer { name } } }"

    body = await gateway.execute(query, None, None, anonymous)

    assert body == {
        "errors": [
            {
                "message": "Authentication required for ... on Customer",
                "path": ["search", "@"],
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ],
        "data": {"search": [{"id": "o1"}, {"name": None}]},
    }


async def test_allowed_fields_resolve_and_denied_ones_are_null_with_errors(
    gateway: Gateway, transports: dict[str, ShopTransport]
) -> None:
    caller = Context(Caller(permissions=frozenset({"support"})))

    body = await gateway.execute("{ orders { id total notes } ping }", None, None, caller)

    assert body == {
        "errors": [
            {
                "message": "Missing permission orders:read for Order.total",
                "path": ["orders", "@", "total"],
                "extensions": {"code": "FORBIDDEN", "requiredScopes": [["orders:read"]]},
            },
            {
                "message": "Missing permission (notes:read and orders:read) or "
                "(notes:read and support) for Order.notes",
                "path": ["orders", "@", "notes"],
                "extensions": {
                    "code": "FORBIDDEN",
                    "requiredScopes": [["notes:read", "orders:read"], ["notes:read", "support"]],
                },
            },
        ],
        "data": {
            "orders": [
                {"id": "o1", "total": None, "notes": None},
                {"id": "o2", "total": None, "notes": None},
            ],
            "ping": "pong",
        },
    }
    assert transports["shop"].requests == ["query { orders { id } ping }"]


async def test_a_denied_mutation_calls_no_subgraph(
    gateway: Gateway, transports: dict[str, ShopTransport]
) -> None:
    caller = Context(Caller(permissions=frozenset({"billing:read"})))

    body = await gateway.execute('mutation { refund(orderId: "o1") }', None, None, caller)

    assert body == {
        "errors": [
            {
                "message": "Missing permission billing:write for Mutation.refund",
                "path": ["refund"],
                "extensions": {"code": "FORBIDDEN", "requiredScopes": [["billing:write"]]},
            }
        ],
        "data": None,
    }
    assert transports["shop"].requests == transports["billing"].requests == []


async def test_a_caller_without_credential_or_scopes_is_unauthenticated(
    gateway: Gateway,
) -> None:
    anonymous = Context(Caller(authenticated=False))

    body = await gateway.execute('{ me { name } order(id: "o1") { total } }', None, None, anonymous)

    assert [(e["path"], e["extensions"]["code"], e["message"]) for e in body["errors"]] == [
        (["me"], "UNAUTHENTICATED", "Authentication required for Query.me"),
        (["order", "total"], "UNAUTHENTICATED", "Missing permission orders:read for Order.total"),
    ]
    assert body["data"] == {"me": None, "order": None}


async def test_plans_are_cached_per_pruning_and_never_leak_across_callers(
    gateway: Gateway, transports: dict[str, ShopTransport]
) -> None:
    query = "{ orders { id total } }"
    reader = Context(Caller(permissions=frozenset({"orders:read"})))
    stranger = Context(Caller(permissions=frozenset({"other"})))

    first = await gateway.execute(query, None, None, reader)
    second = await gateway.execute(query, None, None, stranger)
    third = await gateway.execute(query, None, None, reader)

    assert (
        first
        == third
        == {"data": {"orders": [{"id": "o1", "total": 10}, {"id": "o2", "total": 25}]}}
    )
    assert second["data"] == {"orders": [{"id": "o1", "total": None}, {"id": "o2", "total": None}]}
    assert transports["shop"].requests == [
        "query { orders { id total } }",
        "query { orders { id } }",
        "query { orders { id total } }",
    ]
    assert (len(gateway.operations), len(gateway.plans)) == (1, 2)


async def test_a_context_without_principal_is_not_pruned(
    gateway: Gateway, transports: dict[str, ShopTransport]
) -> None:
    body: dict[str, Any] = await gateway.execute("{ orders { total } }", None, None, object())

    assert body == {"data": {"orders": [{"total": 10}, {"total": 25}]}}
    assert transports["shop"].requests == ["query { orders { total } }"]
