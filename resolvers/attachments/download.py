"""The download endpoint a domain declares for its entities' attachments.

`GET <path>?token=...` serves the file a signed token names (signing.py), to a caller who
sends a bearer token of the same tenant (the request scope authenticates it: the route is
`authenticated`) and holds the permission that reads the entity the file is attached to —
checked again here, whatever the token says. Refusals: 401 without a token, 403 for an expired
or altered link, another tenant's link or a missing permission, 404 when the file (or the
entity it was attached to, per `owner_visible`) is gone, 503 with Retry-After while the
database (or the file's store) is unreachable. The file is sent as an attachment
(`Content-Disposition: attachment; filename*=UTF-8''...`), with its sniffed type and `nosniff`,
in the pieces the store reads."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import quote

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from db.failures import is_connection_failure
from db.scope import SET_TENANT
from db.tables.attachments import Attachment
from resolvers.attachments import config
from resolvers.attachments.signing import InvalidToken
from resolvers.domain import DomainRoute
from resolvers.errors import DATABASE_UNAVAILABLE
from resolvers.principal import Principal

log = logging.getLogger(__name__)

OwnerVisible = Callable[[AsyncSession, uuid.UUID], Awaitable[bool]]
"""Whether the entity (by id) may still be read, in a session behind the caller's tenant
wall (a deleted incident's files are not served)."""


_REFUSAL_HEADERS = {401: {"www-authenticate": "Bearer"}, 503: {"retry-after": "5"}}


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.response = Response(
            orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}),
            status,
            media_type="application/json",
            headers=_REFUSAL_HEADERS.get(status),
        )


def download_route(
    path: str, owner_type: str, permission: str, owner_visible: OwnerVisible
) -> DomainRoute:
    """The endpoint serving attachments of `owner_type` entities to holders of `permission`."""

    async def endpoint(request: Request, sessions: async_sessionmaker[AsyncSession]) -> Response:
        try:
            principal = _caller(request, permission)
            attachment_id = _signed_attachment(request, principal)
        except _Refused as refused:
            return refused.response
        session = sessions()
        try:
            await session.begin()
            await session.execute(SET_TENANT, {"tenant": str(principal.tenant_id)})
            row = await _attachment(session, attachment_id, owner_type, owner_visible)
        except _Refused as refused:
            await session.close()
            return refused.response
        except BaseException as error:
            await session.close()
            if isinstance(error, Exception) and is_connection_failure(error):
                return _Refused(503, "SERVICE_UNAVAILABLE", DATABASE_UNAVAILABLE).response
            raise
        try:
            store = config.current().store_named(row.store)
        except config.StoreUnavailable:
            await session.close()
            log.error(
                "attachment %s is in the %r store, which is not configured", row.id, row.store
            )
            return _Refused(503, "SERVICE_UNAVAILABLE", "The file's store is unavailable").response
        return StreamingResponse(
            _streamed(session, store.read(session, row.key)),
            media_type=row.content_type,
            headers={
                "content-disposition": content_disposition(row.filename),
                "content-length": str(row.size),
                "x-content-type-options": "nosniff",
                "cache-control": "private, no-store",
            },
        )

    return DomainRoute(path, endpoint, methods=("GET",), authenticated=True)


def _caller(request: Request, permission: str) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None or not principal.authenticated:
        raise _Refused(401, "UNAUTHENTICATED", "Send your bearer token (Authorization: Bearer)")
    if not principal.can(permission):
        raise _Refused(403, "FORBIDDEN", f"Downloading this file needs {permission}")
    return principal


def _signed_attachment(request: Request, principal: Principal) -> uuid.UUID:
    try:
        signed = config.current().signer.verify(request.query_params.get("token", ""))
    except InvalidToken as invalid:
        raise _Refused(403, "FORBIDDEN", str(invalid)) from None
    if signed.tenant_id != principal.tenant_id:
        raise _Refused(403, "FORBIDDEN", "The download link is not for your tenant")
    return signed.attachment_id


async def _attachment(
    session: AsyncSession, attachment_id: uuid.UUID, owner_type: str, owner_visible: OwnerVisible
) -> Attachment:
    row = await session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id, Attachment.owner_type == owner_type
        )
    )
    if row is None or not await owner_visible(session, row.owner_id):
        raise _Refused(404, "NOT_FOUND", "No such attachment")
    return row


async def _streamed(session: AsyncSession, pieces: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    try:
        async for piece in pieces:
            yield piece
    finally:
        await session.close()


def content_disposition(filename: str) -> str:
    """`attachment` with the name in RFC 6266's two forms: an ASCII stand-in, and the
    UTF-8 name percent-encoded (RFC 5987)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
