"""Delivering one webhook delivery: the `webhooks.deliver` job (resolvers/jobs.py).

One attempt per run: the webhook owner's permissions read as they are now (owner.py: an owner
deactivated disables the webhook; events the owner may no longer see are SKIPPED; personal data
masked unless they hold `pii:view`), the target resolved and checked again (DNS can change),
the body signed per Standard Webhooks (`webhook-id` is the delivery's id, the same on every
attempt, for the receiver's de-duplication), POSTed with httpx to the checked address,
redirects not followed, the answer's first bytes kept. Every attempt is logged
(`webhook_attempts`) and commits, even a failed one: the job asks to run again (`RetryAt`)
rather than raising.

- 2xx: DELIVERED; the endpoint is healthy again.
- a timeout, a network error, 5xx or 429: RETRYING at the exponential back-off with jitter
  (a `Retry-After` is honoured as the least wait), until the retry window (24 h) from when the
  delivery was queued closes: then DEAD.
- any other answer (4xx, 3xx: redirects are not followed) or a refused target: DEAD at once.
An endpoint failing without a success for the configured time is disabled with the reason.

The attempt runs inside the job's transaction, so it holds one of the process's application
connections for up to the attempt's time limit: `concurrency` (8 per process) bounds how many
the deliveries take from the request pool (OPSGRAPH_DB_POOL_SIZE + OVERFLOW, 15 by default).
Two attempts of one delivery never overlap: its jobs share the entity's lock, and a redelivery
is refused while one is queued."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
import uuid
import weakref
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
import standardwebhooks
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.jobs import Job, JobKind, RetryAt, UnexpectedFailures, backoff
from subgraphs.webhooks import catalogue, config, owner, service, tables, targets
from subgraphs.webhooks.enums import AttemptOutcome, DeliveryStatus
from subgraphs.webhooks.metrics import WEBHOOK_DELIVERIES

EXCERPT_BYTES = 1024
# The outcomes `opsgraph_webhook_deliveries` counts attempts by (as decided, in the job's
# transaction: a commit that fails makes the job run, and count, again).
DELIVERED, RETRIED, DEAD_LETTERED, REFUSED = "delivered", "retried", "dead_lettered", "refused"
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)
FINISHED = {DeliveryStatus.DELIVERED.value, DeliveryStatus.DEAD.value, DeliveryStatus.SKIPPED.value}


def _client() -> httpx.AsyncClient:
    """One connection pool per event loop, kept for the process's life."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = httpx.AsyncClient(
            follow_redirects=False,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=100),
            trust_env=False,
        )
        _clients[loop] = client
    return client


def retry_after(value: str | None, now: datetime) -> float | None:
    """A `Retry-After` header's wait in seconds (delta-seconds or an HTTP date), if valid."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # not "²", which isdigit() and float() refuses
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def pinned(target: targets.Target) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL with its host replaced by the checked address, the Host header and the TLS
    server name that keep the original host."""
    parts = urlsplit(target.url)
    host = f"[{target.address}]" if ":" in target.address else target.address
    url = urlunsplit((parts.scheme, f"{host}:{target.port}", parts.path or "/", parts.query, ""))
    default = 443 if parts.scheme == "https" else 80
    header = target.host if target.port == default else f"{target.host}:{target.port}"
    extensions = {"sni_hostname": target.host} if parts.scheme == "https" else {}
    return url, {"host": header}, extensions


async def deliver(session: AsyncSession, job: Job) -> RetryAt | None:
    settings = config.current()
    delivery = await session.scalar(
        select(tables.WebhookDelivery)
        .where(
            tables.WebhookDelivery.tenant_id == job.tenant_id,
            tables.WebhookDelivery.id == uuid.UUID(job.payload["delivery_id"]),
        )
        .with_for_update()
    )
    if delivery is None or delivery.status in FINISHED:
        return None
    hook = await session.get(tables.Webhook, delivery.webhook_id, with_for_update=True)
    if hook is None or not hook.active:
        delivery.status = DeliveryStatus.SKIPPED.value
        delivery.last_error = (
            "the webhook was deleted" if hook is None else "the webhook is disabled"
        )
        return None
    try:
        permissions = await owner.current_permissions(session, job, hook)
    except owner.OwnerGone as gone:
        stopped = datetime.now(UTC).isoformat(timespec="seconds")
        hook.active = False
        hook.disabled_reason = (
            f"disabled at {stopped}: {gone}; whoever re-activates it becomes its owner"
        )
        delivery.status = DeliveryStatus.SKIPPED.value
        delivery.last_error = f"not sent: {gone}"
        return None
    needed = catalogue.view_permission(delivery.event_kind)
    if needed is not None and needed not in permissions:
        delivery.status = DeliveryStatus.SKIPPED.value
        delivery.last_error = (
            f"not sent: the webhook's owner may not see {delivery.event_kind} events "
            f"(needs {needed})"
        )
        return None
    attempt = delivery.attempts + 1
    delivery.attempts = attempt
    now = datetime.now(UTC)
    log: dict[str, object] = {
        "status_code": None,
        "latency_ms": None,
        "response_excerpt": None,
        "error": None,
    }
    wait_at_least: float | None = None
    retryable = False
    try:
        target = await targets.resolve(hook.url, settings.allow_private)
    except targets.TargetRefused as refused:
        outcome, log["error"] = AttemptOutcome.REFUSED, str(refused)
    else:
        body = service.as_sent(delivery.body, permissions)
        outcome, retryable, wait_at_least = await _send(hook, delivery, body, target, settings, log)
    await session.execute(
        insert(tables.WebhookAttempt).values(
            tenant_id=job.tenant_id,
            delivery_id=delivery.id,
            attempt=attempt,
            outcome=outcome.value,
            **log,
        )
    )
    if outcome is AttemptOutcome.DELIVERED:
        delivery.status = DeliveryStatus.DELIVERED.value
        delivery.next_attempt_at = None
        delivery.last_error = None
        hook.failing_since = None
        WEBHOOK_DELIVERIES.labels(DELIVERED).inc()
        return None
    delivery.last_error = str(log["error"] or f"HTTP {log['status_code']}")
    disabled = _note_failure(hook, delivery.last_error, now, settings)
    when = (
        backoff(
            attempt,
            base=settings.retry_base_seconds,
            queued_at=job.queued_at,
            give_up_after=settings.retry_for_seconds,
            now=now,
            retry_after=wait_at_least,
        )
        if retryable and not disabled
        else None
    )
    if when is None:
        delivery.status = DeliveryStatus.DEAD.value
        delivery.next_attempt_at = None
        counted = REFUSED if outcome is AttemptOutcome.REFUSED else DEAD_LETTERED
        WEBHOOK_DELIVERIES.labels(counted).inc()
        return None
    delivery.status = DeliveryStatus.RETRYING.value
    delivery.next_attempt_at = when
    WEBHOOK_DELIVERIES.labels(RETRIED).inc()
    return RetryAt(when)


async def _send(
    hook: tables.Webhook,
    delivery: tables.WebhookDelivery,
    sent: dict[str, object],
    target: targets.Target,
    settings: config.WebhookConfig,
    log: dict[str, object],
) -> tuple[AttemptOutcome, bool, float | None]:
    """POST the signed body; (outcome, retryable, least wait asked for)."""
    body = standardwebhooks_json(sent)
    sent_at = datetime.now(UTC)
    signature = standardwebhooks.Webhook(hook.secret).sign(str(delivery.id), sent_at, body)
    url, headers, extensions = pinned(target)
    headers.update(
        {
            "content-type": "application/json",
            "user-agent": "OpsGraph-Webhooks/1",
            "webhook-id": str(delivery.id),
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
        }
    )
    started = time.perf_counter()
    try:
        async with asyncio.timeout(settings.timeout_seconds):
            request = _client().build_request(
                "POST", url, content=body.encode(), headers=headers, extensions=extensions
            )
            response = await _client().send(request, stream=True)
            try:
                excerpt = b""
                async for chunk in response.aiter_raw():
                    excerpt += chunk
                    if len(excerpt) >= EXCERPT_BYTES:
                        break
            finally:
                await response.aclose()
    except (TimeoutError, httpx.TimeoutException):
        log["latency_ms"] = int((time.perf_counter() - started) * 1000)
        log["error"] = f"no answer within {settings.timeout_seconds:g} s"
        return AttemptOutcome.TIMEOUT, True, None
    except httpx.HTTPError as error:
        log["latency_ms"] = int((time.perf_counter() - started) * 1000)
        log["error"] = f"{type(error).__name__}: {error}"[:500]
        return AttemptOutcome.NETWORK_ERROR, True, None
    log["latency_ms"] = int((time.perf_counter() - started) * 1000)
    log["status_code"] = response.status_code
    log["response_excerpt"] = excerpt[:EXCERPT_BYTES].decode("utf-8", "replace")
    if 200 <= response.status_code < 300:
        return AttemptOutcome.DELIVERED, False, None
    log["error"] = f"HTTP {response.status_code}"
    retryable = response.status_code >= 500 or response.status_code == 429
    return (
        AttemptOutcome.HTTP_ERROR,
        retryable,
        retry_after(response.headers.get("retry-after"), datetime.now(UTC)),
    )


def standardwebhooks_json(body: object) -> str:
    """The body as sent (and signed): compact JSON."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def _note_failure(
    hook: tables.Webhook, error: str, now: datetime, settings: config.WebhookConfig
) -> bool:
    """Mark the endpoint failing; disable it once it has failed for the configured time
    (True: disabled now, the delivery is not retried)."""
    if hook.failing_since is None:
        hook.failing_since = now
        return False
    limit = settings.disable_after_seconds
    if limit > 0 and now - hook.failing_since >= timedelta(seconds=limit):
        hook.active = False
        hook.disabled_reason = (
            f"disabled at {now.isoformat(timespec='seconds')}: every delivery failed since "
            f"{hook.failing_since.isoformat(timespec='seconds')} (last: {error})"
        )
        return True
    return False


JOB = JobKind(
    name=service.DELIVER,
    handle=deliver,
    retry=UnexpectedFailures(attempts=5, first_wait=1.0),
    concurrency=8,
)
