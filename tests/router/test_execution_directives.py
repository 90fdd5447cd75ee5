"""Executing plans of the directive fixture against scripted subgraphs.

Each subgraph is a small function of the request (no GraphQL server needed): the tests prove
what the router sends (representations with ``@requires`` fields, one call for merged
siblings) and how it merges the answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from router.composition import compose
from router.execution import SubgraphRequest, SubgraphResponse
from router.gateway import Gateway
from tests.router.fixture_directives import directive_sources
from tests.router.fixture_subgraphs import RequestContext

Handler = Callable[[SubgraphRequest], dict[str, Any]]
USERS = {"u1": {"name": "Ada", "username": "ada"}, "u2": {"name": "Grace", "username": "gh"}}


class ScriptedTransport:
    """Answers every request with ``handler(request)`` as ``data`` and keeps the requests."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[SubgraphRequest] = []
        self.errors: list[dict[str, Any]] = []  # sent with every answer

    async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
        self.requests.append(request)
        return SubgraphResponse(data=self.handler(request), errors=self.errors)


def representations(request: SubgraphRequest) -> list[dict[str, Any]]:
    assert request.variables is not None
    return list(request.variables["representations"])


def products(request: SubgraphRequest) -> dict[str, Any]:
    rows = [
        {"__typename": "Product", "upc": "p1", "weight": 2, "price": 10, "name": "Desk"},
        {"__typename": "Product", "upc": "p2", "weight": None, "price": 5, "name": "Lamp"},
    ]
    return {"topProducts": rows}


def inventory(request: SubgraphRequest) -> dict[str, Any]:
    return {
        "_entities": [
            {"shippingEstimate": None if r["weight"] is None else r["weight"] * r["price"]}
            for r in representations(request)
        ]
    }


def reviews(request: SubgraphRequest) -> dict[str, Any]:
    author = {"__typename": "User", "id": "u1"}
    return {
        "latestReviews": [
            {"author": author, "editor": {"__typename": "User", "id": "u2"}},
            {"author": author, "editor": author},
        ]
    }


def accounts(request: SubgraphRequest) -> dict[str, Any]:
    return {"_entities": [USERS[r["id"]] for r in representations(request)]}


@pytest.fixture
def scripted() -> dict[str, ScriptedTransport]:
    handlers: dict[str, Handler] = {
        "products": products,
        "inventory": inventory,
        "reviews": reviews,
        "accounts": accounts,
    }
    return {
        source.name: ScriptedTransport(handlers.get(source.name, lambda request: {}))
        for source in directive_sources()
    }


@pytest.fixture
def gateway(scripted: dict[str, ScriptedTransport]) -> Gateway:
    return Gateway(compose(directive_sources()), dict(scripted))


async def test_required_fields_travel_in_the_representation_nulls_included(
    gateway: Gateway, scripted: dict[str, ScriptedTransport]
) -> None:
    result = await gateway.execute(
        '{ topProducts { name shippingEstimate(zone: "EU") } }', None, None, RequestContext()
    )

    assert result == {
        "data": {
            "topProducts": [
                {"name": "Desk", "shippingEstimate": 20},
                {"name": "Lamp", "shippingEstimate": None},
            ]
        }
    }
    assert [representations(r) for r in scripted["inventory"].requests] == [
        [
            {"__typename": "Product", "upc": "p1", "weight": 2, "price": 10},
            {"__typename": "Product", "upc": "p2", "weight": None, "price": 5},
        ]
    ]


async def test_merged_siblings_send_each_entity_once_and_fill_every_path(
    gateway: Gateway, scripted: dict[str, ScriptedTransport]
) -> None:
    result = await gateway.execute(
        "{ latestReviews { author { name } editor { username } } }",
        None,
        None,
        RequestContext(),
    )

    assert result == {
        "data": {
            "latestReviews": [
                {"author": {"name": "Ada"}, "editor": {"username": "gh"}},
                {"author": {"name": "Ada"}, "editor": {"username": "ada"}},
            ]
        }
    }
    assert [representations(r) for r in scripted["accounts"].requests] == [
        [{"__typename": "User", "id": "u1"}, {"__typename": "User", "id": "u2"}]
    ]


async def test_errors_of_a_merged_fetch_land_only_where_the_field_was_selected(
    gateway: Gateway, scripted: dict[str, ScriptedTransport]
) -> None:
    scripted["accounts"].errors = [
        {"message": "hidden", "path": ["_entities", 0, "username"]},
        {"message": "hidden", "path": ["_entities", 1, "username"]},
    ]

    result = await gateway.execute(
        "{ latestReviews { author { name } editor { username } } }",
        None,
        None,
        RequestContext(),
    )

    assert sorted(error["path"] for error in result["errors"]) == [
        ["latestReviews", 0, "editor", "username"],
        ["latestReviews", 1, "editor", "username"],
    ]
