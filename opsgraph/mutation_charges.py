"""A mutation costs one rate-limit token per root field, so thirty aliased `createIncident` in
one request count as thirty requests, not one.

Over HTTP, RequestScopeMiddleware takes one token from each of the caller's buckets before
the body is even parsed; once the gateway knows the operation it calls :class:`MutationCharges`
(its `admit_mutation` hook), which takes the rest. A WebSocket connection takes nothing up
front, so each mutation sent over it pays for all its root fields here. A refused mutation
answers 429 RATE_LIMITED with Retry-After and executes nothing."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from opsgraph.ratelimit import RateLimiter, retry_after_header
from router.gateway import RequestError


@dataclass(frozen=True)
class _Account:
    keys: tuple[str, ...]
    prepaid: int


class MutationCharges:
    """The buckets each live request context counts against, and what it paid already.

    Contexts are opaque to the gateway, so each is bound here when it is made (by the HTTP
    context factory or the WebSocket authenticator) and forgotten with it."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter
        self._accounts: weakref.WeakKeyDictionary[object, _Account] = weakref.WeakKeyDictionary()

    def bind(self, context: object, keys: Sequence[str], *, prepaid: int) -> None:
        """`context` counts against `keys`, and already took `prepaid` tokens from each."""
        self._accounts[context] = _Account(tuple(keys), prepaid)

    async def __call__(self, context: object, root_fields: int) -> None:
        account = self._accounts.get(context)
        cost = root_fields - account.prepaid if account is not None else 0
        if account is None or cost <= 0:
            return
        for key in account.keys:
            decision = await self.limiter.take(key, cost)
            if not decision.allowed:
                raise RequestError.single(
                    "RATE_LIMITED",
                    "Too many requests: each root field of a mutation counts as one",
                    status=429,
                    headers={"Retry-After": retry_after_header(decision.retry_after)},
                )
