"""`POST /integrations/alertmanager`: Alertmanager's webhook (its `webhook_config` with
`http_config.authorization` carrying the integration's secret).

- 401 (and nothing written) for a missing, unknown, wrong or disabled credential;
- 400 with the reason (and nothing written) for a body that is no version 4 payload;
- 200 once the notification's effects, its outbox events and its delivery log entry are
  committed, in one transaction behind the integration's tenant wall, as the application
  role: a 2xx means nothing is lost, and anything else makes Alertmanager retry (which
  changes nothing twice: intake.py);
- 503 with Retry-After when the database is unreachable; 500 for anything unforeseen
  (logged; the answer carries no stack trace)."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from db.failures import is_connection_failure
from db.scope import SET_TENANT
from resolvers.domain import DomainRoute
from resolvers.errors import OpsGraphError
from subgraphs.incidents.alerts import credentials, intake, payload
from subgraphs.incidents.alerts.mapping import IntegrationKind
from subgraphs.incidents.alerts.tables import Integration, IntegrationDelivery

log = logging.getLogger(__name__)
PATH = "/integrations/alertmanager"
DELIVERIES_KEPT = 100
RETRY_AFTER_SECONDS = "5"


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)


UNAUTHENTICATED = "A valid integration secret is required (Authorization: Bearer ...)"


async def receive_alertmanager(
    request: Request, sessions: async_sessionmaker[AsyncSession]
) -> Response:
    credential = credentials.from_header(request.headers.get("authorization"))
    if credential is None:
        return _error(401, "UNAUTHENTICATED", UNAUTHENTICATED, **{"www-authenticate": "Bearer"})
    body = await request.body()
    try:
        async with sessions() as session, session.begin():
            outcome = await _receive(session, credential, body)
    except _Refused as refused:
        return refused.response
    except OpsGraphError as error:
        # A rule of the incident lifecycle refused a change: the payload cannot be applied.
        return _error(422, (error.extensions or {}).get("code", "BAD_USER_INPUT"), error.message)
    except Exception as error:
        if is_connection_failure(error):
            return _error(
                503,
                "SERVICE_UNAVAILABLE",
                "The database is unavailable; retry later",
                **{"retry-after": RETRY_AFTER_SECONDS},
            )
        log.exception("alertmanager notification failed")
        return _error(500, "INTERNAL_SERVER_ERROR", "The notification could not be stored")
    return JSONResponse({"status": "ok", **outcome})


async def _receive(
    session: AsyncSession, credential: credentials.Credential, body: bytes
) -> dict[str, Any]:
    """Everything after the header check, in the caller's transaction (a refusal raised
    here rolls it back)."""
    await session.execute(SET_TENANT, {"tenant": str(credential.tenant_id)})
    row = await session.scalar(
        select(Integration).where(
            Integration.tenant_id == credential.tenant_id,
            Integration.id == credential.integration_id,
        )
    )
    if (
        row is None
        or not row.enabled
        or row.kind != IntegrationKind.ALERTMANAGER.value
        or not credential.matches(row.secret_hash)
    ):
        raise _Refused(
            _error(401, "UNAUTHENTICATED", UNAUTHENTICATED, **{"www-authenticate": "Bearer"})
        )
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise _Refused(_error(400, "BAD_REQUEST", f"The body is not JSON: {error}")) from None
    try:
        notification = payload.read(document)
    except payload.MalformedPayload as error:
        raise _Refused(
            _error(400, "BAD_REQUEST", f"Not an Alertmanager webhook payload: {error}")
        ) from None
    config = intake.IntegrationConfig.of(row)
    # The log makes room first: creating an incident takes the tenant's number lock, held
    # until the commit, so as little as possible comes after the intake.
    await _make_room(session, config)
    outcome = (await intake.receive(session, config, notification)).to_json()
    session.add(
        IntegrationDelivery(
            tenant_id=config.tenant_id,
            integration_id=config.id,
            status_code=200,
            outcome=outcome,
            payload=document,
        )
    )
    return outcome


async def _make_room(session: AsyncSession, integration: intake.IntegrationConfig) -> None:
    """Keep the newest DELIVERIES_KEPT - 1 deliveries of the integration: with the one being
    received, DELIVERIES_KEPT (concurrent deliveries may leave a few more for a moment; the
    next one trims them)."""
    table = IntegrationDelivery
    mine = (table.tenant_id == integration.tenant_id, table.integration_id == integration.id)
    older = (
        select(table.id)
        .where(*mine)
        .order_by(table.created_at.desc(), table.id.desc())
        .offset(DELIVERIES_KEPT - 1)
        # Rows a concurrent delivery is trimming already are its to delete: waiting for them
        # could close a cycle with the tenant's number lock.
        .with_for_update(skip_locked=True)
    )
    await session.execute(delete(table).where(*mine, table.id.in_(older)))


ROUTE = DomainRoute(PATH, receive_alertmanager, ("POST",))
