"""The authorization stage alone: guarded operations (cached) pruned for the caller's grants,
with one error per pruned selection."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from graphql import parse

from router.composition import Supergraph, compose
from router.pipeline.authorization import GuardCache, authorize
from tests.router.fixture_access import access_sources

QUERY = "{ orders { id total } ping }"
KEY = ("digest", None, "v1")


@dataclass(frozen=True)
class Grants:
    authenticated: bool = True
    permissions: frozenset[str] = frozenset()


@pytest.fixture(scope="module")
def shop() -> Supergraph:
    return compose(access_sources())


def test_an_operation_is_normalised_and_guarded_once(shop: Supergraph) -> None:
    guards = GuardCache(shop, capacity=10)
    first = guards.guarded(KEY, parse(QUERY), None)
    assert guards.guarded(KEY, parse(QUERY), None) is first
    assert set(first.requirements) == {"Order.total"}


def test_a_caller_the_router_cannot_judge_keeps_the_whole_operation(shop: Supergraph) -> None:
    guarded = GuardCache(shop, capacity=10).guarded(KEY, parse(QUERY), None)
    authorized = authorize(shop, guarded, None)
    assert (authorized.operation, authorized.denied, authorized.errors) == (
        guarded.operation,
        (),
        (),
    )


def test_a_caller_with_the_scope_keeps_the_whole_operation(shop: Supergraph) -> None:
    guarded = GuardCache(shop, capacity=10).guarded(KEY, parse(QUERY), None)
    authorized = authorize(shop, guarded, Grants(permissions=frozenset({"orders:read"})))
    assert (authorized.operation, authorized.denied) == (guarded.operation, ())


@pytest.mark.parametrize(
    ("grants", "code"),
    [(Grants(), "FORBIDDEN"), (Grants(authenticated=False), "UNAUTHENTICATED")],
)
def test_what_the_caller_may_not_select_is_pruned_with_an_error(
    shop: Supergraph, grants: Grants, code: str
) -> None:
    guarded = GuardCache(shop, capacity=10).guarded(KEY, parse(QUERY), None)
    authorized = authorize(shop, guarded, grants)
    assert authorized.denied == ("Order.total",)
    assert authorized.operation != guarded.operation
    [error] = authorized.errors
    assert error["message"] == "Missing permission orders:read for Order.total"
    assert error["extensions"]["code"] == code
    assert error["path"] == ["orders", "@", "total"]
