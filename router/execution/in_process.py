"""Transport to a subgraph living in the same process (the default deployment)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson

from router.execution.transport import SubgraphRequest, SubgraphResponse, failure

logger = logging.getLogger(__name__)

# execute(query, variables, operation_name, context) -> {"data": ..., "errors": [...]}
ExecuteFunction = Callable[
    [str, dict[str, Any] | None, str | None, object], Awaitable[dict[str, Any]]
]
# subscribe(query, variables, operation_name, context) -> responses, one per event
SubscribeFunction = Callable[
    [str, dict[str, Any] | None, str | None, object], AsyncIterator[dict[str, Any]]
]


class InProcessTransport:
    """Calls an application-supplied coroutine that runs the subgraph's schema directly.

    The application decides how its schema builds a context from the router's opaque one;
    the result must already be GraphQL JSON (``data`` plus formatted ``errors``).
    """

    # Its answers come from a GraphQL executor of the subgraph's own schema, in this
    # process: values fit the types the supergraph composed (router/execution/one_tree.py).
    schema_checked = True
    kind = "in_process"  # the label of its fetches (router.observer)

    def __init__(
        self, execute: ExecuteFunction, subscribe: SubscribeFunction | None = None
    ) -> None:
        self._execute = execute
        self._subscribe = subscribe

    async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
        """Run the request in-process; an exception becomes an ``INTERNAL_SERVER_ERROR``."""
        try:
            result = await self._execute(
                request.query, _own_copy(request), request.operation_name, context
            )
        except Exception:
            logger.exception("In-process subgraph raised for operation %s", request.operation_name)
            return failure("Subgraph request failed")
        return _response(result)

    async def subscribe(
        self, request: SubgraphRequest, context: object
    ) -> AsyncIterator[SubgraphResponse]:
        """The subgraph's responses to a subscription, one per event; failures end it."""
        if self._subscribe is None:
            yield failure("This subgraph does not serve subscriptions")
            return
        try:
            async for result in self._subscribe(
                request.query, _own_copy(request), request.operation_name, context
            ):
                yield _response(result)
        except Exception:
            logger.exception("In-process subscription raised for %s", request.operation_name)
            yield failure("Subgraph subscription failed")


def _own_copy(request: SubgraphRequest) -> dict[str, Any] | None:
    """The subgraph gets its own copy, as it would over HTTP: Strawberry, for one, pops
    ``__typename`` out of representations, and client variables are shared by fetches; the
    request's ``own`` variable is its own already (thousands of representations, built for
    it). Uploaded files (router/http_uploads.py), which JSON cannot copy, are passed as
    they are."""
    variables = request.variables
    if variables is None:
        return None
    own = request.own
    if own is not None and own in variables:
        shared = {name: value for name, value in variables.items() if name != own}
        copied = _json_copy(shared) if shared else {}
        copied[own] = variables[own]
        return copied
    return _json_copy(variables)


def _json_copy(variables: dict[str, Any]) -> dict[str, Any]:
    try:
        return orjson.loads(orjson.dumps(variables))  # type: ignore[no-any-return]
    except orjson.JSONEncodeError:
        return _copied(variables)  # type: ignore[no-any-return]


def _copied(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def _response(result: dict[str, Any]) -> SubgraphResponse:
    data = result.get("data")
    errors = result.get("errors") or []
    return SubgraphResponse(
        data=data if isinstance(data, dict) else None,
        errors=[e for e in errors if isinstance(e, dict)],
    )
