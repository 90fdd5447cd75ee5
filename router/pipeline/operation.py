"""Stage 3: the operation a request selects from its document, and whether the transport
allows its kind (GraphQL over HTTP: no mutation over GET)."""

from __future__ import annotations

from collections.abc import Collection

from graphql import DocumentNode, OperationDefinitionNode, get_operation_ast

from router.pipeline.errors import RequestError

EVERY_KIND = ("query", "mutation", "subscription")


def selected_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode:
    """The operation a request names (or the document's only one); RequestError if none."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        message = (
            f'Unknown operation named "{operation_name}".'
            if operation_name
            else "Must provide operation name if query contains multiple operations."
        )
        raise RequestError.single("BAD_REQUEST", message)
    return operation


def allowed_operation(
    document: DocumentNode, operation_name: str | None, allowed: Collection[str]
) -> OperationDefinitionNode:
    """The selected operation if its kind is ``allowed``; RequestError otherwise (405 with
    ``Allow: POST`` for a mutation, which only POST may carry)."""
    operation = selected_operation(document, operation_name)
    kind = operation.operation.value
    if kind not in allowed:
        if kind == "mutation":
            raise RequestError.single(
                "BAD_REQUEST",
                "Mutations can only be sent with POST",
                status=405,
                headers={"Allow": "POST"},
            )
        if kind == "subscription":
            raise RequestError.single(
                "BAD_REQUEST",
                "Subscriptions are served over WebSocket (graphql-transport-ws) on this path, "
                "not as plain HTTP requests",
            )
        raise RequestError.single(
            "BAD_REQUEST", f"{kind.capitalize()} operations are not supported here"
        )
    return operation
