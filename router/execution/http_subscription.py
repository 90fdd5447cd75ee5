"""Following a subgraph's subscription over HTTP: one POST asking for a multipart response
(router/http_streams/multipart.py), read part by part for as long as it lasts.

The request carries what a fetch carries (the pooled client's own headers, the router's
credential among them, and the caller's forwarded ones). A subgraph that answers with
JSON instead (it refused the operation) gives that answer as the only response. A transport
error part, a dropped connection, or no part at all (not even a heartbeat) for
``SILENCE_SECONDS`` ends the subscription with an error."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping

import httpx
import orjson

from router.execution.transport import (
    SubgraphRequest,
    SubgraphResponse,
    failure,
    graphql_answer,
    graphql_payload,
)
from router.http_streams.multipart import ACCEPT, HEARTBEAT_SECONDS, boundary_of, parts

logger = logging.getLogger(__name__)
SILENCE_SECONDS = 6 * HEARTBEAT_SECONDS


async def multipart_subscription(
    client: httpx.AsyncClient,
    url: str,
    request: SubgraphRequest,
    headers: Mapping[str, str],
    timeout_s: float,
) -> AsyncIterator[SubgraphResponse]:
    """The subgraph's responses, one per event; ``timeout_s`` bounds the wait for the
    response to start."""
    body = {
        "query": request.query,
        "variables": request.variables,
        "operationName": request.operation_name,
    }
    timeout = httpx.Timeout(timeout_s, read=max(timeout_s, SILENCE_SECONDS))
    try:
        async with client.stream(
            "POST",
            url,
            content=orjson.dumps(body),
            headers={"content-type": "application/json", "accept": ACCEPT, **headers},
            timeout=timeout,
        ) as response:
            boundary = boundary_of(response.headers.get("content-type", ""))
            if boundary is None:
                yield graphql_answer(response.status_code, await response.aread())
                return
            async for message in parts(response.aiter_bytes(), boundary):
                if "payload" not in message:
                    continue  # a heartbeat
                payload = message["payload"]
                if payload is None:
                    yield graphql_payload(message, "Subgraph ended the subscription")
                    return
                yield graphql_payload(payload, "Subgraph sent an event without a GraphQL result")
    except httpx.ReadTimeout:
        logger.warning("Subscription to %s sent nothing for %ss", url, SILENCE_SECONDS)
        yield failure("Subgraph subscription went silent")
    except httpx.TimeoutException:
        logger.warning("Subscription to %s did not start within %ss", url, timeout_s)
        yield failure(f"Subgraph request timed out after {timeout_s:g}s")
    except (httpx.HTTPError, ValueError) as error:
        logger.warning("Subscription to %s failed: %r", url, error)
        yield failure("Subgraph subscription failed")
