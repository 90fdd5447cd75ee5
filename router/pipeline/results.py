"""What the stages hand on: a request ready to execute, and the gateway's answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from router.planning import NormalizedOperation, QueryPlan
from router.response_cache import CachePolicy


@dataclass(frozen=True, slots=True)
class Prepared:
    """A request ready to execute: its plan, the client's whole operation (the response is
    shaped from it, so pruned fields come back null), coerced variables and the errors for
    what authorization pruned."""

    plan: QueryPlan
    operation: NormalizedOperation
    variables: dict[str, Any]
    errors: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class GatewayResult:
    """A GraphQL response body plus the HTTP status (and headers) it maps to."""

    body: dict[str, Any]
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    cache_policy: CachePolicy | None = None  # set for queries the response cache judged


@dataclass(frozen=True, slots=True)
class SubscriptionStream:
    """A subscription that passed every check: its operation and its response bodies."""

    operation: NormalizedOperation
    events: AsyncIterator[dict[str, Any]]
