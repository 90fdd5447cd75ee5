"""The GraphQL API of alert integrations: create (answers the secret once), update, delete,
list, and each one's last deliveries. Everything needs `integration:admin`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson
import strawberry
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from resolvers.audit import audited
from resolvers.errors import BadUserInput, Conflict, NotFound
from resolvers.ids import parse_id
from resolvers.permissions import requires
from resolvers.references import require_references
from subgraphs.incidents import enums, permissions
from subgraphs.incidents.alerts import credentials
from subgraphs.incidents.alerts.mapping import (
    AlertGrouping,
    IntegrationKind,
    Mapping,
    RecoveryPolicy,
    Severity,
)
from subgraphs.incidents.alerts.receiver import DELIVERIES_KEPT, PATH
from subgraphs.incidents.alerts.tables import AlertNotification, Integration, IntegrationDelivery
from subgraphs.incidents.references import Team

NAME_MAX = 100
FLAP_WINDOW_MAX = 1440
DEFAULT_FLAP_WINDOW = 10


@strawberry.type(description="An Alertmanager severity label value and the incident's rating.")
class SeverityMapping:
    value: str = strawberry.field(description="The label's value (compared lower-case).")
    impact: enums.Impact = strawberry.field(description="The incident's impact.")
    urgency: enums.Urgency = strawberry.field(description="The incident's urgency.")


@strawberry.type(description="A team label value and the team its incidents go to.")
class TeamMapping:
    value: str = strawberry.field(description="The label's value.")
    team: Team = strawberry.field(description="The team.")


@strawberry.type(description="A service label value and its own recovery policy.")
class ServiceRecovery:
    value: str = strawberry.field(description="The service label's value.")
    recovery_policy: RecoveryPolicy = strawberry.field(description="Its recovery policy.")


@strawberry.type(description="How an integration's alerts become incidents.")
class AlertMapping:
    severity_label: str = strawberry.field(description="The label rating the alert.")
    severities: list[SeverityMapping] = strawberry.field(description="Its values' ratings.")
    default_impact: enums.Impact = strawberry.field(description="Impact of other values.")
    default_urgency: enums.Urgency = strawberry.field(description="Urgency of other values.")
    summary_annotation: str = strawberry.field(
        description="The annotation after the alertname in the title."
    )
    description_annotation: str = strawberry.field(description="The description's annotation.")
    runbook_annotation: str = strawberry.field(description="The runbook link's annotation.")
    team_label: str | None = strawberry.field(description="The label naming the team.")
    teams: list[TeamMapping] = strawberry.field(description="Its values' teams.")
    ci_label: str | None = strawberry.field(
        description="The label naming the configuration item (its name or external id)."
    )
    service_label: str = strawberry.field(description="The label naming the service.")
    recovery_by_service: list[ServiceRecovery] = strawberry.field(
        description="Recovery policies overriding the integration's, per service."
    )
    resolution_code: enums.ResolutionCode = strawberry.field(
        description="The resolution code of incidents AUTO_RESOLVE resolves."
    )
    category: str | None = strawberry.field(description="The incidents' category.")

    @classmethod
    def of(cls, mapping: Mapping) -> AlertMapping:
        return cls(
            severity_label=mapping.severity_label,
            severities=[
                SeverityMapping(value=value, impact=s.impact, urgency=s.urgency)
                for value, s in mapping.severities.items()
            ],
            default_impact=mapping.default_severity.impact,
            default_urgency=mapping.default_severity.urgency,
            summary_annotation=mapping.summary_annotation,
            description_annotation=mapping.description_annotation,
            runbook_annotation=mapping.runbook_annotation,
            team_label=mapping.team_label,
            teams=[
                TeamMapping(value=value, team=Team(id=strawberry.ID(str(id))))
                for value, id in mapping.teams.items()
            ],
            ci_label=mapping.ci_label,
            service_label=mapping.service_label,
            recovery_by_service=[
                ServiceRecovery(value=value, recovery_policy=policy)
                for value, policy in mapping.recovery_by_service.items()
            ],
            resolution_code=mapping.resolution_code,
            category=mapping.category,
        )


@strawberry.type(description="A monitoring system allowed to post alerts that become incidents.")
class AlertIntegration:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    kind: IntegrationKind = strawberry.field(description="The monitoring system.")
    name: str = strawberry.field(description="Unique within the tenant.")
    enabled: bool = strawberry.field(description="False: its posts are refused (401).")
    group_by: AlertGrouping = strawberry.field(description="One incident per alert or group.")
    recovery_policy: RecoveryPolicy = strawberry.field(
        description="What a resolved alert does (unless its service overrides it)."
    )
    flap_window_minutes: int = strawberry.field(
        description="A firing within this many minutes of its incident's resolution reopens it."
    )
    mapping: AlertMapping = strawberry.field(description="How alerts become incidents.")
    webhook_path: str = strawberry.field(
        description="Where the monitoring system posts, on the API's address."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def of(cls, row: Any) -> AlertIntegration:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=IntegrationKind(row.kind),
            name=row.name,
            enabled=row.enabled,
            group_by=AlertGrouping(row.group_by),
            recovery_policy=RecoveryPolicy(row.recovery_policy),
            flap_window_minutes=row.flap_window_minutes,
            mapping=AlertMapping.of(Mapping.from_json(row.mapping)),
            webhook_path=PATH,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="What one delivery did, counted per alert.")
class DeliveryOutcome:
    created: int = strawberry.field(description="Incidents opened.")
    repeated: int = strawberry.field(description="Firings counted on open incidents.")
    reopened: int = strawberry.field(description="Incidents reopened within the flap window.")
    resolved: int = strawberry.field(description="Incidents resolved (AUTO_RESOLVE).")
    noted: int = strawberry.field(description="Work notes added (NOTE_ONLY).")
    ignored: int = strawberry.field(description="Resolutions ignored (IGNORE).")
    duplicates: int = strawberry.field(
        description="Alert notifications received before (retries, repeats): no change."
    )
    unmatched: int = strawberry.field(description="Resolved alerts with no open incident.")
    incident_ids: list[strawberry.ID] = strawberry.field(description="The incidents touched.")


@strawberry.type(description="A payload an integration posted, and its outcome.")
class IntegrationDeliveryRecord:
    id: strawberry.ID = strawberry.field(description="Unique id (UUID).")
    received_at: datetime = strawberry.field(description="When it was received.")
    status_code: int = strawberry.field(description="The HTTP status answered.")
    outcome: DeliveryOutcome = strawberry.field(description="What it did.")
    payload: str = strawberry.field(description="The JSON body as received.")


@strawberry.input(description="A severity label value and the incident's rating.")
class SeverityMappingInput:
    value: str = strawberry.field(description="The label's value.")
    impact: enums.Impact = strawberry.field(description="Impact.")
    urgency: enums.Urgency = strawberry.field(description="Urgency.")


@strawberry.input(description="A team label value and its team.")
class TeamMappingInput:
    value: str = strawberry.field(description="The label's value.")
    team_id: strawberry.ID = strawberry.field(description="A Team id.")


@strawberry.input(description="A service label value and its recovery policy.")
class ServiceRecoveryInput:
    value: str = strawberry.field(description="The service label's value.")
    recovery_policy: RecoveryPolicy = strawberry.field(description="Its recovery policy.")


_DEFAULT = Mapping()


@strawberry.input(description="How alerts become incidents; omitted fields take the defaults.")
class AlertMappingInput:
    severity_label: str = strawberry.field(default=_DEFAULT.severity_label, description="Label.")
    severities: list[SeverityMappingInput] | None = strawberry.field(
        default=None,
        description="Ratings per value (default: critical HIGH/HIGH, error HIGH/MEDIUM, "
        "warning MEDIUM/MEDIUM, info LOW/LOW).",
    )
    default_impact: enums.Impact = strawberry.field(
        default=enums.Impact.MEDIUM, description="Impact of values not listed."
    )
    default_urgency: enums.Urgency = strawberry.field(
        default=enums.Urgency.MEDIUM, description="Urgency of values not listed."
    )
    summary_annotation: str = strawberry.field(
        default=_DEFAULT.summary_annotation, description="Annotation in the title."
    )
    description_annotation: str = strawberry.field(
        default=_DEFAULT.description_annotation, description="Annotation of the description."
    )
    runbook_annotation: str = strawberry.field(
        default=_DEFAULT.runbook_annotation, description="Annotation of the runbook link."
    )
    team_label: str | None = strawberry.field(default=None, description="Label naming a team.")
    teams: list[TeamMappingInput] = strawberry.field(
        default_factory=list, description="Teams per team label value."
    )
    ci_label: str | None = strawberry.field(
        default=None,
        description="Label naming the configuration item an alert is about (e.g. `instance` "
        "or `service`): its value is matched to a CI's external id, else its name "
        "(case-insensitive; `host:port` also as `host`); no match, or several, leaves the "
        "incident without a CI.",
    )
    service_label: str = strawberry.field(
        default=_DEFAULT.service_label, description="Label naming the service."
    )
    recovery_by_service: list[ServiceRecoveryInput] = strawberry.field(
        default_factory=list, description="Recovery policies per service label value."
    )
    resolution_code: enums.ResolutionCode = strawberry.field(
        default=enums.ResolutionCode.FIXED, description="Code of auto-resolved incidents."
    )
    category: str | None = strawberry.field(default=None, description="Incidents' category.")

    def to_mapping(self) -> Mapping:
        severities = (
            dict(_DEFAULT.severities)
            if self.severities is None
            else {s.value.lower(): Severity(s.impact, s.urgency) for s in self.severities}
        )
        return Mapping(
            severity_label=self.severity_label,
            severities=severities,
            default_severity=Severity(self.default_impact, self.default_urgency),
            summary_annotation=self.summary_annotation,
            description_annotation=self.description_annotation,
            runbook_annotation=self.runbook_annotation,
            team_label=self.team_label,
            teams={
                team.value: parse_id(team.team_id, f"input.mapping.teams[{index}].teamId")
                for index, team in enumerate(self.teams)
            },
            ci_label=self.ci_label,
            service_label=self.service_label,
            recovery_by_service={s.value: s.recovery_policy for s in self.recovery_by_service},
            resolution_code=self.resolution_code,
            category=self.category,
        ).check()


@strawberry.input(description="A new alert integration.")
class CreateIntegrationInput:
    kind: IntegrationKind = strawberry.field(description="The monitoring system.")
    name: str = strawberry.field(description="Unique within the tenant (1-100 characters).")
    mapping: AlertMappingInput | None = strawberry.field(
        default=None, description="How alerts become incidents (default mapping if omitted)."
    )
    recovery_policy: RecoveryPolicy = strawberry.field(
        default=RecoveryPolicy.AUTO_RESOLVE, description="What a resolved alert does."
    )
    flap_window_minutes: int = strawberry.field(
        default=DEFAULT_FLAP_WINDOW, description="Flap window (0-1440 minutes; 0: never reopen)."
    )
    group_by: AlertGrouping = strawberry.field(
        default=AlertGrouping.ALERT, description="One incident per alert or per group."
    )


@strawberry.input(description="Changes to an integration; omitted fields stay as they are.")
class UpdateIntegrationInput:
    name: str | None = strawberry.field(default=None, description="New name.")
    enabled: bool | None = strawberry.field(default=None, description="Enable or disable.")
    mapping: AlertMappingInput | None = strawberry.field(
        default=None, description="A new mapping (replaces the old one whole)."
    )
    recovery_policy: RecoveryPolicy | None = strawberry.field(default=None, description="Policy.")
    flap_window_minutes: int | None = strawberry.field(default=None, description="0-1440.")
    group_by: AlertGrouping | None = strawberry.field(default=None, description="Grouping.")


@strawberry.type(description="A created integration and its secret, shown this once.")
class CreateIntegrationPayload:
    integration: AlertIntegration = strawberry.field(description="The integration.")
    secret: str = strawberry.field(
        description="The bearer secret the monitoring system sends (Authorization: Bearer …). "
        "Only its hash is stored: it cannot be shown again."
    )


def _name(value: str) -> str:
    name = value.strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise BadUserInput(f"name must have 1 to {NAME_MAX} characters", field="name")
    return name


def _flap(value: int) -> int:
    if not 0 <= value <= FLAP_WINDOW_MAX:
        raise BadUserInput(
            f"flapWindowMinutes must be between 0 and {FLAP_WINDOW_MAX}", field="flapWindowMinutes"
        )
    return value


async def _check_teams(info: strawberry.Info, mapping: Mapping) -> None:
    await require_references(
        info, "Team", {f"input.mapping.teams.{value}": id for value, id in mapping.teams.items()}
    )


def _conflict(name: str) -> Conflict:
    return Conflict(f"An integration named {name!r} exists", field="name")


@strawberry.mutation(
    description="Create an alert integration; the answer carries its secret, shown once. "
    "BAD_USER_INPUT for an empty or over-long name, a flap window outside 0-1440 or a bad "
    "mapping; NOT_FOUND for a mapped team that is not one of the tenant's; CONFLICT when "
    "the name is taken.",
    extensions=requires(permissions.INTEGRATION_ADMIN),
)
async def create_integration(
    info: strawberry.Info, input: CreateIntegrationInput
) -> CreateIntegrationPayload:
    ctx = info.context
    name = _name(input.name)
    flap = _flap(input.flap_window_minutes)
    mapping = (input.mapping or AlertMappingInput()).to_mapping()
    await _check_teams(info, mapping)
    id = uuid.uuid4()
    secret = credentials.new_secret(ctx.tenant_id, id)
    values = {
        "kind": input.kind.value,
        "name": name,
        "group_by": input.group_by.value,
        "recovery_policy": input.recovery_policy.value,
        "flap_window_minutes": flap,
        "mapping": mapping.to_json(),
    }
    try:
        async with audited(info) as (session, audit):
            row = Integration(
                id=id, tenant_id=ctx.tenant_id, secret_hash=credentials.digest(secret), **values
            )
            session.add(row)
            await session.flush()
            await session.refresh(row)
            audit.entity("Integration", id)
            audit.created(values)
    except IntegrityError:
        raise _conflict(name) from None
    return CreateIntegrationPayload(integration=AlertIntegration.of(row), secret=secret)


@strawberry.mutation(
    description="Change an integration. NOT_FOUND for an unknown id; BAD_USER_INPUT and "
    "CONFLICT as createIntegration.",
    extensions=requires(permissions.INTEGRATION_ADMIN),
)
async def update_integration(
    info: strawberry.Info, id: strawberry.ID, input: UpdateIntegrationInput
) -> AlertIntegration:
    ctx = info.context
    integration_id = parse_id(id)
    changes: dict[str, Any] = {}
    if input.name is not None:
        changes["name"] = _name(input.name)
    if input.enabled is not None:
        changes["enabled"] = input.enabled
    if input.flap_window_minutes is not None:
        changes["flap_window_minutes"] = _flap(input.flap_window_minutes)
    if input.recovery_policy is not None:
        changes["recovery_policy"] = input.recovery_policy.value
    if input.group_by is not None:
        changes["group_by"] = input.group_by.value
    if input.mapping is not None:
        mapping = input.mapping.to_mapping()
        await _check_teams(info, mapping)
        changes["mapping"] = mapping.to_json()
    try:
        async with audited(info) as (session, audit):
            row = await _row(session, ctx.tenant_id, integration_id, lock=True)
            diff = {
                column: [getattr(row, column), value]
                for column, value in changes.items()
                if getattr(row, column) != value
            }
            for column, (_, value) in diff.items():
                setattr(row, column, value)
            await session.flush()
            await session.refresh(row)
            audit.entity("Integration", integration_id)
            audit.changed(diff)
    except IntegrityError:
        raise _conflict(changes.get("name", "")) from None
    return AlertIntegration.of(row)


@strawberry.mutation(
    description="Delete an integration, its delivery log and its dedupe keys (its incidents "
    "stay); its secret stops working. NOT_FOUND for an unknown id. Answers the id.",
    extensions=requires(permissions.INTEGRATION_ADMIN),
)
async def delete_integration(info: strawberry.Info, id: strawberry.ID) -> strawberry.ID:
    ctx = info.context
    integration_id = parse_id(id)
    async with audited(info) as (session, audit):
        row = await _row(session, ctx.tenant_id, integration_id, lock=True)
        audit.entity("Integration", integration_id)
        audit.deleted({"name": row.name, "kind": row.kind})
        for table in (IntegrationDelivery, AlertNotification):
            await session.execute(
                delete(table).where(
                    table.tenant_id == ctx.tenant_id, table.integration_id == integration_id
                )
            )
        await session.delete(row)
    return id


async def _row(session: Any, tenant_id: uuid.UUID, id: uuid.UUID, *, lock: bool) -> Any:
    query = select(Integration).where(Integration.tenant_id == tenant_id, Integration.id == id)
    row = await session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(f"No integration with id {id}", id=str(id))
    return row


@strawberry.field(
    description="The tenant's alert integrations, by name.",
    extensions=requires(permissions.INTEGRATION_ADMIN),
)
async def integrations(info: strawberry.Info) -> list[AlertIntegration]:
    ctx = info.context
    rows = await ctx.db.scalars(
        select(Integration).where(Integration.tenant_id == ctx.tenant_id).order_by(Integration.name)
    )
    return [AlertIntegration.of(row) for row in rows]


@strawberry.field(
    description=f"An integration's last {DELIVERIES_KEPT} deliveries, newest first. NOT_FOUND "
    "for an unknown integration.",
    extensions=requires(permissions.INTEGRATION_ADMIN),
)
async def integration_deliveries(
    info: strawberry.Info, integration_id: strawberry.ID
) -> list[IntegrationDeliveryRecord]:
    ctx = info.context
    id = parse_id(integration_id, "integrationId")
    found = await ctx.db.rows(
        select(Integration.id).where(Integration.tenant_id == ctx.tenant_id, Integration.id == id)
    )
    if not found:
        raise NotFound(f"No integration with id {id}", argument="integrationId")
    table = IntegrationDelivery
    rows = await ctx.db.rows(
        select(table.id, table.created_at, table.status_code, table.outcome, table.payload)
        .where(table.tenant_id == ctx.tenant_id, table.integration_id == id)
        .order_by(table.seq.desc())
    )
    return [
        IntegrationDeliveryRecord(
            id=strawberry.ID(str(row.id)),
            received_at=row.created_at,
            status_code=row.status_code,
            outcome=_outcome(_json(row.outcome)),
            payload=row.payload
            if isinstance(row.payload, str)
            else orjson.dumps(row.payload).decode(),
        )
        for row in rows
    ]


def _json(value: Any) -> Any:
    """A JSONB value as read: decoded already by the ORM, or the text the driver gave."""
    return orjson.loads(value) if isinstance(value, str) else value


def _outcome(data: dict[str, Any]) -> DeliveryOutcome:
    return DeliveryOutcome(
        created=data["created"],
        repeated=data["repeated"],
        reopened=data["reopened"],
        resolved=data["resolved"],
        noted=data["noted"],
        ignored=data["ignored"],
        duplicates=data["duplicates"],
        unmatched=data["unmatched"],
        incident_ids=[strawberry.ID(id) for id in data["incidentIds"]],
    )
