"""The answer to an HTTP request refused before any GraphQL work starts (no principal, rate
limited, database unavailable, too slow): its status and a GraphQL error with its code."""

from __future__ import annotations

import orjson
from starlette.types import Send

from opsgraph.auth.principals import Refused
from opsgraph.metrics.recorder import record_refusal
from opsgraph.ratelimit import retry_after_header


async def send_refusal(send: Send, refused: Refused, *, retry_after: float | None = None) -> None:
    record_refusal(refused.code)
    body = orjson.dumps(
        {"errors": [{"message": refused.message, "extensions": {"code": refused.code}}]}
    )
    headers = [(b"content-type", b"application/json")]
    if refused.status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="opsgraph"'))
    if retry_after is not None:
        headers.append((b"retry-after", retry_after_header(retry_after).encode()))
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
