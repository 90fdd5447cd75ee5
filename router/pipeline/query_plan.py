"""Showing the query plan: a request with ``x-opsgraph-query-plan: 1`` whose caller the
deployment lets see plans gets the printed plan (``format_plan``) as ``extensions.queryPlan``
beside its answer, the way Apollo Router exposes ``apolloQueryPlan`` when enabled.

Who may see a plan is the deployment's decision (``PlanAccess``, given to the Gateway):
none by default. For anyone else the header is ignored, not refused: the operation still
runs and answers as it would without it. A plan names subgraphs and the documents sent to
them, which is internal; but refusing would break a client for a header that a proxy or a
developer tool may add, and an ignored header tells nothing either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from router.execution.transport import headers_of
from router.planning import QueryPlan, format_plan

QUERY_PLAN_HEADER = "x-opsgraph-query-plan"
_ASKING = frozenset({"1", "true", "yes"})

# Whether the caller of a request context may see query plans.
PlanAccess = Callable[[object], Awaitable[bool]]


def asks_for_plan(context: object) -> bool:
    """Whether the request's headers ask for the plan (``1``, ``true`` or ``yes``)."""
    headers = headers_of(context)
    if headers is None:
        return False
    value = headers.get(QUERY_PLAN_HEADER)
    if value is None and isinstance(headers, dict):
        # A plain dict may keep the client's spelling of the name; Starlette's Headers (every
        # server request) already ignore case, so the common request skips this copy.
        lowered = {name.lower(): v for name, v in headers.items()}
        value = lowered.get(QUERY_PLAN_HEADER)
    return value is not None and value.strip().lower() in _ASKING


async def shows_plan(context: object, access: PlanAccess | None) -> bool:
    """Whether this request gets its plan: it asks, and its caller may see plans."""
    return access is not None and asks_for_plan(context) and await access(context)


def with_plan(body: dict[str, Any], plan: QueryPlan) -> dict[str, Any]:
    """A copy of ``body`` with the printed plan in ``extensions`` (a cached body is shared,
    so it is never changed in place)."""
    extensions = {**body.get("extensions", {}), "queryPlan": format_plan(plan)}
    return {**body, "extensions": extensions}
