"""Errors a client may see, each with its `extensions.code`, and the schema extension that
masks everything else: a lost database as SERVICE_UNAVAILABLE (retry later), anything else as
INTERNAL_SERVER_ERROR (logged with its traceback and request id)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from typing import Any, ClassVar

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from db.failures import is_connection_failure

log = logging.getLogger("opsgraph.errors")


class OpsGraphError(GraphQLError):
    """Base of the errors we raise on purpose; the message is written for the client."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class BadUserInput(OpsGraphError):
    code = "BAD_USER_INPUT"


class NotFound(OpsGraphError):
    code = "NOT_FOUND"


class Conflict(OpsGraphError):
    code = "CONFLICT"


class Unauthenticated(OpsGraphError):
    code = "UNAUTHENTICATED"


class Forbidden(OpsGraphError):
    code = "FORBIDDEN"


class ServiceUnavailable(OpsGraphError):
    """Something this answer needs cannot be reached (the database; the subgraph that owns a
    referenced entity); the same request may succeed later (the router answers HTTP 503 with
    Retry-After when nothing else is left of the response)."""

    code = "SERVICE_UNAVAILABLE"


DATABASE_UNAVAILABLE = "The database is unavailable; retry later"


class ResyncRequired(OpsGraphError):
    """A subscriber asked to resume from before the retained events: reload, then subscribe."""

    code = "RESYNC_REQUIRED"


class SubscriptionsUnavailable(OpsGraphError):
    """Nothing delivers events where this subgraph runs (e.g. served alone, without a hub)."""

    code = "SUBSCRIPTIONS_UNAVAILABLE"


class SlowConsumer(OpsGraphError):
    """Events arrived faster than this subscription was processing them; resume with `after`."""

    code = "SLOW_CONSUMER"


def code_for_unlocated(error: GraphQLError) -> str:
    """A code for graphql-core's own errors (parse, validation, variable coercion)."""
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable '$"):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


class ErrorCodes(SchemaExtension):
    """Give every error a code; replace unexpected exceptions with a masked error.

    Unexpected means: raised by our code but not an OpsGraphError. A lost database (see
    db/failures.py) becomes SERVICE_UNAVAILABLE, logged as a warning without a traceback;
    anything else (a bug, a constraint the code did not expect) has a message that may hold
    internals, so clients get "Internal server error" and the request id, and the log gets
    the traceback. When the context says `debug`, the traceback is added to extensions."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            context = self.execution_context.context
            result.errors = [with_code(error, context) for error in result.errors]


def with_code(error: GraphQLError, context: Any) -> GraphQLError:
    """``error`` with its ``extensions.code``, or masked when it is unexpected (see ErrorCodes);
    also used by the compiled executor (resolvers/executor/)."""
    original = error.original_error
    if (error.extensions or {}).get("code"):
        return error
    wraps_graphql_error = isinstance(original, GraphQLError)
    if original is None or (wraps_graphql_error and error.path is None):
        # graphql-core's own: parse, validation, variables (which wrap coercion errors)
        error.extensions = {**(error.extensions or {}), "code": code_for_unlocated(error)}
        return error
    if wraps_graphql_error:
        return error
    request_id = getattr(context, "request_id", None)
    if is_connection_failure(original):
        log.warning(
            "database unavailable in %s (request %s): %s",
            ".".join(map(str, error.path or [])),
            request_id,
            original,
        )
        return GraphQLError(
            DATABASE_UNAVAILABLE,
            nodes=error.nodes,
            path=error.path,
            extensions={"code": ServiceUnavailable.code, "requestId": request_id},
        )
    log.error(
        "unexpected error in %s (request %s)",
        ".".join(map(str, error.path or [])),
        request_id,
        exc_info=(type(original), original, original.__traceback__),
    )
    extensions: dict[str, Any] = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    if getattr(context, "debug", False):
        extensions["stacktrace"] = traceback.format_exception(original)
    return GraphQLError(
        "Internal server error",
        nodes=error.nodes,
        path=error.path,
        extensions=extensions,
    )
