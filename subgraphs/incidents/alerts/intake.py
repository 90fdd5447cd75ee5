"""What one Alertmanager notification does to incidents, inside the caller's transaction (the
receiver commits it with the delivery log entry, so a 2xx answer means all of it is stored,
outbox events included). Incidents are created, moved and noted through the incident
service's functions (service.py, transitions.py): history, events and the lifecycle's rules
are theirs.

- One incident per alert fingerprint while it is open (OPEN, IN_PROGRESS, ON_HOLD): source
  MONITORING, externalId the fingerprint. A new firing of an alert with an open incident
  raises its `alertCount` and `lastAlertAt`.
- Retries: each alert's notification has a key, a hash of (groupKey, fingerprint, startsAt,
  status), stored once (alert_notifications, unique). Alertmanager's webhook payload carries
  nothing that tells its retry of a notification from a repeat (`repeat_interval`) of the
  same state: both are the same body. So a notification counts once per distinct state of
  the alert: per firing (each firing has its own startsAt), and per resolution. Repeats and
  retries of a state already received change nothing (the delivery log shows them as
  duplicates). Receiving one status of (fingerprint, startsAt) forgets the other's key: an
  alert that fires again right after it resolved keeps its startsAt (Alertmanager merges
  the two), and that firing is new.
- Concurrency: the notification takes a transaction-scoped advisory lock per fingerprint
  (and per group) before it reads anything, all of them at once, in one global order (by
  the 64-bit key), so concurrent posts about one alert queue and see each other's work, and
  two posts never wait on each other in a cycle (the tenant's number lock is taken at
  commit, db/numbering.py, after all the others). The unique partial index
  on open alert incidents backs this up.
- Recovery, per the integration's policy (overridable per value of the mapping's service
  label): AUTO_RESOLVE resolves with the mapping's resolution code and a work note with the
  alert's times; NOTE_ONLY adds the work note; IGNORE does nothing.
- Flapping: a firing whose incident was resolved within the flap window (and within the
  tenant's reopen window) reopens that incident instead of opening another.
- GROUP integrations: one parent incident per groupKey, the alerts' incidents its children;
  the parent counts the group's firings and recovers when the whole group has resolved."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import BigInteger, bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.incidents import lifecycle, service, tables, transitions
from subgraphs.incidents.alerts import ci_names
from subgraphs.incidents.alerts.mapping import AlertGrouping, Mapping, RecoveryPolicy, Severity
from subgraphs.incidents.alerts.payload import Alert, Notification
from subgraphs.incidents.alerts.tables import AlertNotification
from subgraphs.incidents.enums import (
    ChangeKind,
    CommentVisibility,
    IncidentSource,
    IncidentStatus,
)
from subgraphs.incidents.rules import OPEN, PRIORITY_RANK, derive_priority

S = IncidentStatus
_OPEN = [status.value for status in OPEN]
# The alert locks and the transaction's time (now(): when it began) in one round trip.
_LOCK = text(
    "SELECT now() FROM (SELECT count(pg_advisory_xact_lock(k)) "
    "FROM unnest(CAST(:keys AS bigint[])) AS k) AS locked"
).bindparams(bindparam("keys", type_=ARRAY(BigInteger)))


# The two reads every firing makes, built once (a storm makes thousands a minute).
_ROW = tables.Incident
_ALERT_INCIDENT = (
    _ROW.tenant_id == bindparam("tenant_id"),
    _ROW.integration_id == bindparam("integration_id"),
    _ROW.external_id == bindparam("external_id"),
)
_OPEN_INCIDENT = select(_ROW.id).where(*_ALERT_INCIDENT, _ROW.status.in_(_OPEN))
_RECENTLY_RESOLVED = (
    select(_ROW.id)
    .where(
        *_ALERT_INCIDENT,
        _ROW.status == S.RESOLVED.value,
        _ROW.resolved_at >= bindparam("since"),
    )
    .order_by(_ROW.resolved_at.desc())
    .limit(1)
)


@dataclass(frozen=True)
class IntegrationConfig:
    """An integration's row, as the intake needs it."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    group_by: AlertGrouping
    recovery_policy: RecoveryPolicy
    flap_window_minutes: int
    mapping: Mapping

    @classmethod
    def of(cls, row: Any) -> IntegrationConfig:
        return cls(
            id=row.id,
            tenant_id=row.tenant_id,
            group_by=AlertGrouping(row.group_by),
            recovery_policy=RecoveryPolicy(row.recovery_policy),
            flap_window_minutes=row.flap_window_minutes,
            mapping=Mapping.from_json(row.mapping),
        )


@dataclass
class Outcome:
    """What a notification did, counted per alert (and per group incident)."""

    created: int = 0
    repeated: int = 0
    reopened: int = 0
    resolved: int = 0
    noted: int = 0
    ignored: int = 0
    duplicates: int = 0
    unmatched: int = 0  # resolved alerts with no open incident
    incident_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "repeated": self.repeated,
            "reopened": self.reopened,
            "resolved": self.resolved,
            "noted": self.noted,
            "ignored": self.ignored,
            "duplicates": self.duplicates,
            "unmatched": self.unmatched,
            "incidentIds": self.incident_ids,
        }


def notification_key(group_key: str, alert: Alert, *, opposite: bool = False) -> str:
    """The key of one alert's notification: the same for a retry or repeat of one state
    (`opposite`: the key of the alert's other status)."""
    status = alert.status
    if opposite:
        status = "resolved" if alert.firing else "firing"
    parts = (group_key, alert.fingerprint, alert.starts_at_text, status)
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def group_external_id(group_key: str) -> str:
    """A group incident's externalId: the groupKey can be long, its hash is not."""
    return "group:" + hashlib.sha256(group_key.encode()).hexdigest()[:40]


def _lock_key(integration_id: uuid.UUID, external_id: str) -> int:
    value = hashlib.sha256(f"{integration_id}:{external_id}".encode()).digest()[:8]
    return int.from_bytes(value, "big", signed=True)


async def receive(
    session: AsyncSession, integration: IntegrationConfig, notification: Notification
) -> Outcome:
    """Apply the notification in the caller's unit of work; answers its outcome."""
    intake = _Intake(session, integration, notification)
    await intake.start()
    return await intake.run()


class _Intake:
    def __init__(
        self, session: AsyncSession, integration: IntegrationConfig, notification: Notification
    ) -> None:
        self.session = session
        self.integration = integration
        self.notification = notification
        self.mapping = integration.mapping
        self.outcome = Outcome()
        self.grouped = integration.group_by is AlertGrouping.GROUP
        self.group_id = group_external_id(notification.group_key) if self.grouped else None
        self.now: datetime = datetime.min
        self.cis: dict[str, uuid.UUID] = {}
        self.reopen_within = timedelta()

    async def start(self) -> None:
        external_ids = {alert.fingerprint for alert in self.notification.alerts}
        if self.group_id is not None:
            external_ids.add(self.group_id)
        keys = sorted({_lock_key(self.integration.id, id) for id in external_ids})
        now = await self.session.scalar(_LOCK, {"keys": keys})
        assert now is not None
        self.now = now
        days = await transitions.reopen_window_days(self.session, self.integration.tenant_id)
        flap = timedelta(minutes=self.integration.flap_window_minutes)
        self.reopen_within = min(flap, timedelta(days=days))

    async def run(self) -> Outcome:
        alerts = await self._new_notifications()
        parent_id = None
        firing = [alert for alert in alerts if alert.firing]
        await self._find_cis(firing)
        if self.group_id is not None and firing:
            parent_id = await self._fire(
                self.group_id, len(firing), lambda: self._group_incident(firing)
            )
        for alert in alerts:
            if alert.firing:
                await self._fire(alert.fingerprint, 1, partial(self._incident, alert, parent_id))
            else:
                await self._recover(alert.fingerprint, alert.labels, _times(alert))
        resolved = any(not alert.firing for alert in alerts)
        if self.group_id is not None and resolved and self.notification.status == "resolved":
            note = "Every alert of the group has resolved."
            await self._recover(self.group_id, self.notification.group_labels, note)
        return self.outcome

    async def _new_notifications(self) -> list[Alert]:
        """The payload's alerts whose notification was not received before, each once. A
        new state of an alert forgets the opposite state's key: Alertmanager merges an
        alert that fires again soon after its resolution into the old one (same startsAt),
        and that firing is new even though its key was seen before."""
        group_key = self.notification.group_key
        by_key: dict[str, Alert] = {}
        for alert in self.notification.alerts:
            by_key.setdefault(notification_key(group_key, alert), alert)
        self.outcome.duplicates = len(self.notification.alerts) - len(by_key)
        if not by_key:
            return []
        table = AlertNotification
        mine = (
            table.tenant_id == self.integration.tenant_id,
            table.integration_id == self.integration.id,
        )
        inserted = set(
            await self.session.scalars(
                insert(table)
                .values(
                    [
                        {
                            "tenant_id": self.integration.tenant_id,
                            "integration_id": self.integration.id,
                            "key": key,
                        }
                        for key in by_key
                    ]
                )
                .on_conflict_do_nothing(
                    index_elements=[table.tenant_id, table.integration_id, table.key]
                )
                .returning(table.key)
            )
        )
        self.outcome.duplicates += len(by_key) - len(inserted)
        new = [alert for key, alert in by_key.items() if key in inserted]
        if new:
            opposite = [notification_key(group_key, alert, opposite=True) for alert in new]
            await self.session.execute(delete(table).where(*mine, table.key.in_(opposite)))
        return new

    async def _find_cis(self, firing: list[Alert]) -> None:
        """The configuration items the firing alerts' CI label names (one read)."""
        values = [self.mapping.ci_value(alert.labels) for alert in firing]
        values.append(self.mapping.ci_value(self.notification.group_labels))
        named = [value for value in values if value]
        if named:
            self.cis = await ci_names.find(self.session, self.integration.tenant_id, named)

    def _ci(self, *labels: dict[str, str]) -> uuid.UUID | None:
        for each in labels:
            value = self.mapping.ci_value(each)
            if value is not None and value in self.cis:
                return self.cis[value]
        return None

    async def _fire(
        self, external_id: str, count: int, new: Callable[[], service.NewIncident]
    ) -> uuid.UUID:
        """Count a firing on the open incident of `external_id`, or reopen its incident
        resolved within the flap window, or open one; answers the incident's id."""
        tenant_id = self.integration.tenant_id
        open_id = await self._open_incident(external_id)
        if open_id is None:
            resolved_id = await self._recently_resolved(external_id)
            if resolved_id is None:
                prepared = service.prepare_incident(tenant_id, new(), None)
                await service.insert_incident(self.session, prepared)
                self.outcome.created += 1
                self.outcome.incident_ids.append(str(prepared.id))
                return prepared.id
            note = (
                f"The alert fired again within the flap window "
                f"({self.integration.flap_window_minutes} min): reopened."
            )
            request = lifecycle.TransitionRequest(
                S.IN_PROGRESS, comment=lifecycle.NewComment(note, CommentVisibility.WORK_NOTE)
            )
            await transitions.transition_incident(
                self.session, tenant_id, resolved_id, request, None
            )
            self.outcome.reopened += 1
            open_id = resolved_id
        else:
            self.outcome.repeated += 1
        await self._count(open_id, count)
        self.outcome.incident_ids.append(str(open_id))
        return open_id

    async def _count(self, incident_id: uuid.UUID, count: int) -> None:
        row = await service.get_for_update(self.session, self.integration.tenant_id, incident_id)
        diff = service.Diff()
        diff.set(row, "alert_count", row.alert_count + count, "alertCount")
        diff.set(row, "last_alert_at", self.now, "lastAlertAt")
        await self.session.flush()
        await self.session.refresh(row)
        service.record_change(self.session, row, ChangeKind.UPDATED, diff, None)

    async def _recover(self, external_id: str, labels: dict[str, str], times: str) -> None:
        incident_id = await self._open_incident(external_id)
        if incident_id is None:
            self.outcome.unmatched += 1
            return
        tenant_id = self.integration.tenant_id
        policy = self.mapping.recovery(labels, self.integration.recovery_policy)
        if policy is RecoveryPolicy.AUTO_RESOLVE:
            request = lifecycle.TransitionRequest(
                S.RESOLVED,
                resolution_code=self.mapping.resolution_code,
                resolution_notes=f"Resolved by monitoring. {times}",
                comment=lifecycle.NewComment(times, CommentVisibility.WORK_NOTE),
            )
            await transitions.transition_incident(
                self.session, tenant_id, incident_id, request, None
            )
            self.outcome.resolved += 1
        elif policy is RecoveryPolicy.NOTE_ONLY:
            await transitions.comment_on_incident(
                self.session, tenant_id, incident_id, times, CommentVisibility.WORK_NOTE, None
            )
            self.outcome.noted += 1
        else:
            self.outcome.ignored += 1
        self.outcome.incident_ids.append(str(incident_id))

    async def _open_incident(self, external_id: str) -> uuid.UUID | None:
        return await self.session.scalar(  # type: ignore[no-any-return]
            _OPEN_INCIDENT, self._of(external_id)
        )

    def _of(self, external_id: str) -> dict[str, Any]:
        return {
            "tenant_id": self.integration.tenant_id,
            "integration_id": self.integration.id,
            "external_id": external_id,
        }

    async def _recently_resolved(self, external_id: str) -> uuid.UUID | None:
        if self.reopen_within <= timedelta():
            return None
        since = {"since": self.now - self.reopen_within}
        return await self.session.scalar(  # type: ignore[no-any-return]
            _RECENTLY_RESOLVED, self._of(external_id) | since
        )

    def _incident(self, alert: Alert, parent_id: uuid.UUID | None) -> service.NewIncident:
        mapping = self.mapping
        severity = mapping.severity(alert.labels)
        return service.NewIncident(
            title=mapping.title(alert.labels, alert.annotations),
            description=mapping.description(alert.labels, alert.annotations, alert.generator_url),
            impact=severity.impact,
            urgency=severity.urgency,
            category=mapping.category,
            source=IncidentSource.MONITORING,
            external_id=alert.fingerprint,
            team_id=mapping.team(alert.labels),
            ci_id=self._ci(alert.labels),
            opened_at=min(alert.starts_at, self.now),
            integration_id=self.integration.id,
            parent_id=parent_id,
            alert_count=1,
            last_alert_at=self.now,
        )

    def _group_incident(self, firing: list[Alert]) -> service.NewIncident:
        mapping = self.mapping
        severity = (
            max((mapping.severity(alert.labels) for alert in firing), key=_rank, default=None)
            or mapping.default_severity
        )
        labels = self.notification.group_labels
        named = ", ".join(f"{name}={value}" for name, value in sorted(labels.items()))
        first = firing[0]
        return service.NewIncident(
            title=_cut(f"Alert group: {named}" if named else "Alert group", 200),
            description=_cut(
                f"Alertmanager group {self.notification.group_key}: its alerts are this "
                "incident's children.",
                20_000,
            ),
            impact=severity.impact,
            urgency=severity.urgency,
            category=mapping.category,
            source=IncidentSource.MONITORING,
            external_id=self.group_id,
            team_id=mapping.team(labels) or mapping.team(first.labels),
            ci_id=self._ci(labels, first.labels),
            opened_at=min(min(alert.starts_at for alert in firing), self.now),
            integration_id=self.integration.id,
            alert_count=len(firing),
            last_alert_at=self.now,
        )


def _rank(severity: Severity) -> int:
    return PRIORITY_RANK[derive_priority(severity.impact, severity.urgency)]


def _times(alert: Alert) -> str:
    ends = alert.ends_at.isoformat() if alert.ends_at else "an unknown time"
    return f"The alert fired at {alert.starts_at.isoformat()} and ended at {ends}."


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"
