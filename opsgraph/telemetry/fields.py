"""Who and what a log line is about: the request id, tenant and principal of the request
being served (one mutable holder per request, set by requests.py and completed once the
caller is known), the operation the router found (router/telemetry.py) and the current
span's trace and span ids."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace

from resolvers.principal import Principal
from router.telemetry import OPERATION


@dataclass(slots=True)
class RequestFields:
    request_id: str
    tenant: str | None = None
    principal_id: str | None = None


REQUEST: ContextVar[RequestFields | None] = ContextVar("opsgraph_request", default=None)


def bind_caller(principal: Principal) -> None:
    """The request's tenant and principal, for its log lines and its span (the tenant id
    only: a principal's id is personal data a trace backend need not keep)."""
    fields = REQUEST.get()
    if fields is not None:
        fields.tenant = str(principal.tenant_id)
        fields.principal_id = principal.subject or (
            str(principal.user_id) if principal.user_id else None
        )
    current = trace.get_current_span()
    if current.is_recording():
        current.set_attribute("opsgraph.tenant_id", str(principal.tenant_id))


REQUEST_FIELDS = (
    "request_id",
    "trace_id",
    "span_id",
    "tenant",
    "principal_id",
    "operation_name",
)


def log_fields() -> dict[str, Any]:
    """The fields every log line carries (None where the line is about no request)."""
    fields = REQUEST.get()
    operation = OPERATION.get()
    context = trace.get_current_span().get_span_context()
    traced = context.is_valid
    return {
        "request_id": fields.request_id if fields else None,
        "trace_id": format(context.trace_id, "032x") if traced else None,
        "span_id": format(context.span_id, "016x") if traced else None,
        "tenant": fields.tenant if fields else None,
        "principal_id": fields.principal_id if fields else None,
        "operation_name": operation.name if operation else None,
    }
