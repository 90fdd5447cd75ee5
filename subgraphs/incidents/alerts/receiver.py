"""`POST /integrations/alertmanager`: Alertmanager's webhook (its `webhook_config` with
`http_config.authorization` carrying the integration's secret).

- 401 (and nothing written) for a missing, unknown, wrong or disabled credential;
- 400 with the reason (and nothing written) for a body that is no version 4 payload;
- 200 once the notification's effects, its outbox events and its delivery log entry are
  committed, in one transaction behind the integration's tenant wall, as the application
  role: a 2xx means nothing is lost, and anything else makes Alertmanager retry (which
  changes nothing twice: intake.py);
- 422 when a rule of the incident lifecycle refuses the change, 503 with Retry-After when
  the database is unreachable; 500 for anything unforeseen (logged; the answer carries no
  stack trace). A 422 or 500 is kept in the delivery log with its error, nothing else of it.

The delivery log is a ring of DELIVERY_SLOTS slots per integration (tables.py): a notification
admitted (credential matched, payload read) takes the integration's next delivery number in a
short transaction of its own, and its own transaction writes slot `number % DELIVERY_SLOTS`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from db.failures import is_connection_failure
from db.scope import walled_unit_of_work
from resolvers.domain import DomainRoute
from resolvers.errors import OpsGraphError
from subgraphs.incidents.alerts import credentials, intake, payload
from subgraphs.incidents.alerts.mapping import IntegrationKind
from subgraphs.incidents.alerts.tables import DELIVERY_SLOTS, Integration, IntegrationDelivery

log = logging.getLogger(__name__)
PATH = "/integrations/alertmanager"
DELIVERIES_KEPT = DELIVERY_SLOTS
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
    admitted: _Admitted | None = None
    try:
        async with sessions() as session, session.begin():
            admitted = await _admit(session, credential, body)
        async with walled_unit_of_work(sessions, admitted.config.tenant_id) as session:
            outcome = await _receive(session, admitted)
    except _Refused as refused:
        return refused.response
    except OpsGraphError as error:
        # A rule of the incident lifecycle refused a change: the payload cannot be applied.
        code = (error.extensions or {}).get("code", "BAD_USER_INPUT")
        await _log_failure(sessions, admitted, 422, error.message)
        return _error(422, code, error.message)
    except Exception as error:
        if is_connection_failure(error):
            return _error(
                503,
                "SERVICE_UNAVAILABLE",
                "The database is unavailable; retry later",
                **{"retry-after": RETRY_AFTER_SECONDS},
            )
        log.exception("alertmanager notification failed")
        await _log_failure(sessions, admitted, 500, f"{type(error).__name__}: {error}")
        return _error(500, "INTERNAL_SERVER_ERROR", "The notification could not be stored")
    return JSONResponse({"status": "ok", **outcome})


@dataclass(frozen=True)
class _Admitted:
    """A notification from an integration whose credential matched, read and numbered."""

    config: intake.IntegrationConfig
    document: Any
    notification: payload.Notification
    seq: int
    """Its number in the integration's delivery log (the ring slot it writes)."""


# The tenant's wall, and an asynchronous commit: the transaction only numbers the delivery,
# and the notification's own transaction flushes the WAL through it before it answers 2xx.
_ADMIT = text(
    "SELECT set_config('app.tenant_id', :tenant, true), "
    "set_config('synchronous_commit', 'off', true)"
)


async def _admit(
    session: AsyncSession, credential: credentials.Credential, body: bytes
) -> _Admitted:
    """Check the credential, read the body and take the delivery's number, in a transaction
    of its own: the integration's row is locked only for this moment (numbering in the
    notification's transaction would queue every post of the integration on its commit). A
    refusal raised here rolls the numbering back."""
    await session.execute(_ADMIT, {"tenant": str(credential.tenant_id)})
    row = (
        await session.execute(
            update(Integration)
            .where(
                Integration.tenant_id == credential.tenant_id,
                Integration.id == credential.integration_id,
            )
            .values(delivery_seq=Integration.delivery_seq + 1)
            .returning(Integration)
        )
    ).scalar_one_or_none()
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
    return _Admitted(intake.IntegrationConfig.of(row), document, notification, row.delivery_seq)


async def _receive(session: AsyncSession, admitted: _Admitted) -> dict[str, Any]:
    """The notification's effects and its log entry, in the caller's transaction behind the
    integration's tenant wall (a refusal raised here rolls it back)."""
    outcome = (await intake.receive(session, admitted.config, admitted.notification)).to_json()
    await _log(session, admitted, 200, outcome, None)
    return outcome


async def _log(
    session: AsyncSession,
    admitted: _Admitted,
    status_code: int,
    outcome: dict[str, Any],
    error: str | None,
) -> None:
    """Write the delivery into its slot of the integration's ring. A slot holding a newer
    delivery (one DELIVERY_SLOTS later that committed first) keeps it."""
    table = IntegrationDelivery
    config = admitted.config
    statement = insert(table).values(
        tenant_id=config.tenant_id,
        integration_id=config.id,
        seq=admitted.seq,
        slot=admitted.seq % DELIVERY_SLOTS,
        status_code=status_code,
        outcome=outcome,
        payload=admitted.document,
        error=error,
    )
    fresh = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            constraint="uq_integration_deliveries_slot",
            set_={
                "id": fresh.id,
                "seq": fresh.seq,
                "status_code": fresh.status_code,
                "outcome": fresh.outcome,
                "payload": fresh.payload,
                "error": fresh.error,
                "created_at": fresh.created_at,
                "updated_at": fresh.updated_at,
            },
            where=table.seq < fresh.seq,
        )
    )


async def _log_failure(
    sessions: async_sessionmaker[AsyncSession],
    admitted: _Admitted | None,
    status_code: int,
    error: str,
) -> None:
    """Log a numbered notification that failed (its effects rolled back), so its slot tells
    what happened rather than keeping a delivery DELIVERY_SLOTS older."""
    if admitted is None:
        return
    try:
        async with walled_unit_of_work(sessions, admitted.config.tenant_id) as session:
            await _log(session, admitted, status_code, intake.Outcome().to_json(), error)
    except Exception:
        log.exception("the failed notification could not be logged")


ROUTE = DomainRoute(PATH, receive_alertmanager, ("POST",))
