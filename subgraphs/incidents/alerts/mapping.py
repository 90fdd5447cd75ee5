"""How an integration's alerts become incidents, as data (stored as JSON on the integration):
severity label → impact and urgency (priority then follows the shared matrix), alertname and
the summary annotation → title, annotations → description and runbook link, a label → team, a
label → configuration item (its value matched by ci_names.py), and the recovery policy per
value of the service label. Pure: no I/O, no GraphQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import strawberry

from resolvers.errors import BadUserInput
from subgraphs.incidents import rules
from subgraphs.incidents.enums import Impact, ResolutionCode, Urgency

LABEL_MAX = 100
ENTRIES_MAX = 200


@strawberry.enum(description="What a resolved alert does to its open incident.")
class RecoveryPolicy(Enum):
    AUTO_RESOLVE = "AUTO_RESOLVE"
    """Resolve it (the mapping's resolution code) with a work note of the alert's times."""
    NOTE_ONLY = "NOTE_ONLY"
    """Add a work note; people resolve it."""
    IGNORE = "IGNORE"
    """Nothing."""


@strawberry.enum(description="Which monitoring system an integration receives from.")
class IntegrationKind(Enum):
    ALERTMANAGER = "ALERTMANAGER"


@strawberry.enum(
    description="ALERT: one incident per alert. GROUP: one incident per Alertmanager group "
    "(groupKey), with one child incident per alert of the group."
)
class AlertGrouping(Enum):
    ALERT = "ALERT"
    GROUP = "GROUP"


@dataclass(frozen=True)
class Severity:
    impact: Impact
    urgency: Urgency


DEFAULT_SEVERITIES: dict[str, Severity] = {
    "critical": Severity(Impact.HIGH, Urgency.HIGH),
    "error": Severity(Impact.HIGH, Urgency.MEDIUM),
    "warning": Severity(Impact.MEDIUM, Urgency.MEDIUM),
    "info": Severity(Impact.LOW, Urgency.LOW),
}


@dataclass(frozen=True)
class Mapping:
    severity_label: str = "severity"
    severities: dict[str, Severity] = field(default_factory=lambda: dict(DEFAULT_SEVERITIES))
    default_severity: Severity = Severity(Impact.MEDIUM, Urgency.MEDIUM)
    summary_annotation: str = "summary"
    description_annotation: str = "description"
    runbook_annotation: str = "runbook_url"
    team_label: str | None = None
    teams: dict[str, uuid.UUID] = field(default_factory=dict)
    ci_label: str | None = None
    service_label: str = "service"
    recovery_by_service: dict[str, RecoveryPolicy] = field(default_factory=dict)
    resolution_code: ResolutionCode = ResolutionCode.FIXED
    category: str | None = None

    def check(self) -> Mapping:
        """BAD_USER_INPUT naming what is empty or too long."""
        for name, label in (
            ("severityLabel", self.severity_label),
            ("summaryAnnotation", self.summary_annotation),
            ("descriptionAnnotation", self.description_annotation),
            ("runbookAnnotation", self.runbook_annotation),
            ("serviceLabel", self.service_label),
            ("teamLabel", self.team_label if self.team_label is not None else "-"),
            ("ciLabel", self.ci_label if self.ci_label is not None else "-"),
        ):
            if not label.strip() or len(label) > LABEL_MAX:
                raise BadUserInput(
                    f"mapping.{name} must have 1 to {LABEL_MAX} characters",
                    field=f"mapping.{name}",
                )
        for name, entries in (
            ("severities", self.severities),
            ("teams", self.teams),
            ("recoveryByService", self.recovery_by_service),
        ):
            if len(entries) > ENTRIES_MAX:
                raise BadUserInput(
                    f"mapping.{name} may have at most {ENTRIES_MAX} entries",
                    field=f"mapping.{name}",
                )
        if self.category is not None and len(self.category) > rules.CATEGORY_MAX:
            raise BadUserInput(
                f"mapping.category must be at most {rules.CATEGORY_MAX} characters",
                field="mapping.category",
            )
        return self

    def severity(self, labels: dict[str, str]) -> Severity:
        value = labels.get(self.severity_label)
        return (
            self.severities.get(value.lower(), self.default_severity)
            if value
            else (self.default_severity)
        )

    def team(self, labels: dict[str, str]) -> uuid.UUID | None:
        if self.team_label is None:
            return None
        value = labels.get(self.team_label)
        return None if value is None else self.teams.get(value)

    def ci_value(self, labels: dict[str, str]) -> str | None:
        """The value naming the alert's configuration item, if the mapping names a label."""
        return None if self.ci_label is None else labels.get(self.ci_label) or None

    def recovery(self, labels: dict[str, str], default: RecoveryPolicy) -> RecoveryPolicy:
        value = labels.get(self.service_label)
        return default if value is None else self.recovery_by_service.get(value, default)

    def title(self, labels: dict[str, str], annotations: dict[str, str]) -> str:
        name = labels.get("alertname") or "Alert"
        summary = annotations.get(self.summary_annotation)
        title = f"{name}: {summary}" if summary else name
        return _cut(title, rules.TITLE_MAX)

    def description(
        self, labels: dict[str, str], annotations: dict[str, str], generator_url: str | None
    ) -> str:
        parts = []
        text = annotations.get(self.description_annotation)
        if text:
            parts.append(text)
        runbook = annotations.get(self.runbook_annotation)
        if runbook:
            parts.append(f"Runbook: {runbook}")
        if generator_url:
            parts.append(f"Source: {generator_url}")
        parts.append(
            "Labels: " + ", ".join(f"{name}={value}" for name, value in sorted(labels.items()))
        )
        return _cut("\n\n".join(parts), rules.DESCRIPTION_MAX)

    def to_json(self) -> dict[str, Any]:
        return {
            "severityLabel": self.severity_label,
            "severities": {
                value: [s.impact.value, s.urgency.value] for value, s in self.severities.items()
            },
            "defaultSeverity": [
                self.default_severity.impact.value,
                self.default_severity.urgency.value,
            ],
            "summaryAnnotation": self.summary_annotation,
            "descriptionAnnotation": self.description_annotation,
            "runbookAnnotation": self.runbook_annotation,
            "teamLabel": self.team_label,
            "teams": {value: str(id) for value, id in self.teams.items()},
            "ciLabel": self.ci_label,
            "serviceLabel": self.service_label,
            "recoveryByService": {
                value: policy.value for value, policy in self.recovery_by_service.items()
            },
            "resolutionCode": self.resolution_code.value,
            "category": self.category,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mapping:
        def severity(pair: list[str]) -> Severity:
            return Severity(Impact(pair[0]), Urgency(pair[1]))

        return cls(
            severity_label=data["severityLabel"],
            severities={value: severity(pair) for value, pair in data["severities"].items()},
            default_severity=severity(data["defaultSeverity"]),
            summary_annotation=data["summaryAnnotation"],
            description_annotation=data["descriptionAnnotation"],
            runbook_annotation=data["runbookAnnotation"],
            team_label=data["teamLabel"],
            teams={value: uuid.UUID(id) for value, id in data["teams"].items()},
            ci_label=data.get("ciLabel"),  # absent from mappings stored before it existed
            service_label=data["serviceLabel"],
            recovery_by_service={
                value: RecoveryPolicy(policy) for value, policy in data["recoveryByService"].items()
            },
            resolution_code=ResolutionCode(data["resolutionCode"]),
            category=data["category"],
        )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
