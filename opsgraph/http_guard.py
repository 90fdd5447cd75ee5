"""HTTP hardening in front of the GraphQL endpoint.

- CSRF prevention, as Apollo Router does it: a POST that a browser could send cross-site
  without a preflight (no content type, or text/plain, form-urlencoded, multipart) is
  refused unless it carries `Apollo-Require-Preflight` or `X-Apollo-Operation-Name`. JSON
  bodies always force a preflight, so ordinary clients never notice. GET runs queries only.
- A request body limit, checked on the declared length and on the bytes actually read. A
  multipart upload (`max_upload_bytes` set) may be that much larger, and is streamed to its
  reader rather than read here first; past the limit its reader gets BodyTooLarge (413).
- Security headers on every response (and a content security policy that lets the
  self-hosted GraphiQL page run, and nothing else)."""

from __future__ import annotations

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from router.http_params import BadRequest

SIMPLE_CONTENT_TYPES = ("", "text/plain", "application/x-www-form-urlencoded",
                        "multipart/form-data")  # fmt: skip
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        b"frame-ancestors 'none'",
    ),
]


MULTIPART = "multipart/form-data"


class BodyTooLarge(BadRequest):
    """A streamed multipart body passed its limit (raised to whoever reads it: 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body larger than {limit} bytes", status=413)


class HttpGuardMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int = 0) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        headers = Headers(scope=scope)
        if scope["method"] == "POST":
            content_type = headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type in SIMPLE_CONTENT_TYPES and not any(
                headers.get(name) for name in PREFLIGHT_HEADERS
            ):
                await _error(
                    send,
                    400,
                    "BAD_REQUEST",
                    "This request has been blocked as a "
                    "potential Cross-Site Request Forgery: send it as application/json "
                    "or with an Apollo-Require-Preflight header",
                )
                return
        declared = headers.get("content-length")
        if scope["method"] == "POST" and self.max_upload_bytes and _is_multipart(headers):
            # An upload: streamed to its reader (which spools files to disk), counted on the
            # way; its fields other than files are bounded by the reader.
            limit = self.max_body_bytes + self.max_upload_bytes
            if declared is not None and _whole(declared) and int(declared) > limit:
                await _error(send, 413, "BAD_REQUEST", f"Request body larger than {limit} bytes")
                return
            await self.app(scope, _counted(receive, limit), send)
            return
        if declared is not None and _whole(declared) and int(declared) > self.max_body_bytes:
            await _error(send, 413, "BAD_REQUEST", self._too_large())
            return
        if scope["method"] == "POST":
            body = await self._read_body(receive)
            if body is None:
                await _error(send, 413, "BAD_REQUEST", self._too_large())
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    def _too_large(self) -> str:
        return f"Request body larger than {self.max_body_bytes} bytes"

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None once it passes the limit (a streamed body may declare
        no length, so the bytes are counted as they arrive)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _is_multipart(headers: Headers) -> bool:
    return headers.get("content-type", "").split(";")[0].strip().lower() == MULTIPART


def _counted(receive: Receive, limit: int) -> Receive:
    """The body as it arrives; BodyTooLarge once more than `limit` bytes came."""
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise BodyTooLarge(limit)
        return message

    return counted


def _replay(body: bytes, receive: Receive) -> Receive:
    """The buffered body first; then the real channel, so a client disconnect still shows."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def _with_security_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            headers.extend(header for header in SECURITY_HEADERS if header[0] not in present)
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


async def _error(send: Send, status: int, code: str, message: str) -> None:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _whole(header: str) -> bool:
    """Whether a header's value is a whole number int() reads: ASCII digits only ("²" is a
    digit to str.isdigit, and latin-1 headers can carry it)."""
    return header.isascii() and header.isdigit()
