"""A stand-alone subgraph's schema as the router's streaming machinery sees an executor.

The WebSocket endpoint (router/websocket_protocol/), the shared subscription executions
(router/subscriptions.py) and multipart responses (router/http_streams/multipart.py) were
written for the router's Gateway; `SubgraphOperations` offers them the same calls over one
subgraph's Strawberry schema, run as the router runs it in-process (opsgraph/in_process.py),
behind the subgraph's gate (opsgraph/subgraph_gate.py). A subgraph therefore streams by the
rules of the in-process server: the same connection_init authentication and limits, events
resumed with `after`, filters, permission and tenant checked by the subscription's own
resolvers for every event, and each event's database scope released once it is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import strawberry
from graphql import OperationType

from opsgraph.in_process import in_process_executor, in_process_subscriber
from opsgraph.subgraph_gate import SubgraphGate
from router.execution.transport import EventScoped, headers_of, reads_one_snapshot
from router.gateway import GatewayResult, RequestError, SubscriptionStream
from router.pipeline.execute import executed
from router.planning.operation import normalize


class SubgraphOperations:
    """Executes requests against one subgraph schema; refusals raise RequestError as the
    Gateway's do."""

    def __init__(self, schema: strawberry.federation.Schema, gate: SubgraphGate) -> None:
        self.gate = gate
        self._execute = in_process_executor(schema)
        self._subscribe = in_process_subscriber(schema)

    async def document_text(
        self,
        query: str | None,
        extensions: Mapping[str, Any] | None,
        document_id: str | None,
        context: object,
    ) -> str:
        """The request's text: a subgraph keeps no persisted documents (the router resolves
        them before it asks)."""
        if query is None:
            raise RequestError.single(
                "PERSISTED_QUERY_NOT_SUPPORTED",
                "A subgraph runs operations sent as text only",
            )
        return query

    def operation_type(self, query: str, operation_name: str | None) -> str:
        return self.gate.operation(query, operation_name)[1].operation.value

    async def execute_request(
        self,
        query: str | None,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: object,
        *,
        extensions: Mapping[str, Any] | None = None,
        document_id: str | None = None,
    ) -> GatewayResult:
        """A query or mutation sent over the subgraph's WebSocket."""
        try:
            self.gate.check(query, variables, operation_name, _headers(context))
            query = await self.document_text(query, extensions, document_id, context)
            if self.operation_type(query, operation_name) == OperationType.QUERY.value:
                reads_one_snapshot(context)
        except RequestError as error:
            return GatewayResult({"errors": error.errors}, error.status, error.headers)
        return executed(await self._execute(query, _own(variables), operation_name, context))

    def subscribe(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: object,
    ) -> SubscriptionStream:
        """The subscription's responses, one per event; RequestError when the gate refuses
        it or it is no subscription."""
        self.gate.check(query, variables, operation_name, _headers(context))
        document, operation = self.gate.operation(query, operation_name)
        if operation.operation != OperationType.SUBSCRIPTION:
            raise RequestError.single(
                "BAD_REQUEST", f"{operation.operation.value.capitalize()} is no subscription"
            )
        normalized = normalize(self.gate.schema, document, operation)
        return SubscriptionStream(
            normalized, self._events(query, _own(variables), operation_name, context)
        )

    async def _events(
        self,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: object,
    ) -> AsyncIterator[dict[str, Any]]:
        async for body in self._subscribe(query, variables, operation_name, context):
            if isinstance(context, EventScoped):
                await context.end_event()
            yield body


def _headers(context: object) -> Mapping[str, str]:
    headers = headers_of(context)
    return {} if headers is None else headers


def _own(variables: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if variables is None else dict(variables)
