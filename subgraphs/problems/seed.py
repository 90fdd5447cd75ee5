"""The problem domain's demo data, on the incidents seeded before (`demo.entities["Incident"]`,
which write no events): the read model of incidents filled from them, and problems telling
the story of problem management —

- a known error being fixed, its workaround published, linked to open VPN incidents;
- a resolved problem (a fix applied) whose incidents were released: linked to payroll
  database incidents that are being worked on again or done, none held any more;
- a root cause analysis under way on the SSO incidents;
- a new problem, nothing linked yet;
- and, left unlinked on purpose, the website's recurring 502 errors: the planted cluster
  `problemCandidates` reports (same title, same category, within the last week)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.domain import DemoTenant
from resolvers.priority import Impact, Urgency, derive_priority
from subgraphs.problems import rules, tables

LINKS_MAX = 6  # incidents linked to one demo problem
OPEN = ("OPEN", "IN_PROGRESS", "ON_HOLD")
RELEASED = ("IN_PROGRESS", "RESOLVED", "CLOSED")
CANDIDATE_TITLE = "Website returns 502 errors"  # left unlinked: the planted cluster


@dataclass(frozen=True)
class DemoProblem:
    title: str
    description: str
    status: str
    impact: str
    urgency: str
    category: str
    incident_title: str | None = None  # the incidents it is linked to
    incident_statuses: tuple[str, ...] = OPEN
    root_cause: str | None = None
    cause_code: str | None = None
    resolution_code: str | None = None
    resolution_notes: str | None = None
    symptom: str | None = None
    workaround: str | None = None
    error_code: str | None = None
    published: bool = False
    notes: tuple[str, ...] = ()


PROBLEMS = (
    DemoProblem(
        title="VPN tunnels drop when the concentrator's session table fills",
        description="Remote users lose the VPN every few minutes at peak hours.",
        status="FIX_IN_PROGRESS",
        impact="HIGH",
        urgency="HIGH",
        category="network",
        incident_title="VPN drops every few minutes",
        root_cause="The VPN concentrator's session table is sized for 2,000 sessions; idle "
        "sessions are not reaped, so at peak it fills and drops the oldest tunnels.",
        cause_code="CAPACITY",
        symptom="The VPN client disconnects every few minutes and reconnects by itself.",
        workaround="Use the secondary gateway vpn2.example.com until the concentrator is upgraded.",
        error_code="VPN-412",
        published=True,
        notes=("Vendor confirmed the session reaping bug; firmware 9.3 fixes it.",),
    ),
    DemoProblem(
        title="Payroll database replica lags behind the primary",
        description="Payroll reports are slow and show stale figures.",
        status="RESOLVED",
        impact="MEDIUM",
        urgency="HIGH",
        category="database",
        incident_title="Payroll database slow",
        incident_statuses=RELEASED,
        root_cause="A missing index on the ledger table made the nightly batch scan it, "
        "starving replication.",
        cause_code="CONFIGURATION",
        resolution_code="FIX_APPLIED",
        resolution_notes="Index added; replication lag stays under a second.",
        notes=("Index created in the maintenance window; lag back to normal.",),
    ),
    DemoProblem(
        title="SSO redirect loop for some users",
        description="Some users bounce between the portal and the identity provider.",
        status="ROOT_CAUSE_ANALYSIS",
        impact="MEDIUM",
        urgency="MEDIUM",
        category="access",
        incident_title="SSO redirect loop",
        notes=("Happens only for users with more than 40 group memberships.",),
    ),
    DemoProblem(
        title="Printers on floor 3 jam with recycled paper",
        description="Recurring jams since the paper supplier changed.",
        status="NEW",
        impact="LOW",
        urgency="LOW",
        category="hardware",
    ),
)


async def seed(session: AsyncSession, demo: DemoTenant) -> None:
    incidents = demo.entities.get("Incident", [])
    facts = [_fact(demo.tenant_id, incident) for incident in incidents]
    problems, links, changes, comments = [], [], [], []
    operators = [u for u in demo.entities.get("User", []) if "viewer" not in u["roles"]]
    for number, story in enumerate(PROBLEMS, start=1):
        problem_id = uuid.uuid5(demo.tenant_id, f"problem-{number}")
        opened = demo.now - timedelta(days=20 - 4 * number)
        linked = [
            incident
            for incident in incidents
            if incident["title"] == story.incident_title
            and incident["status"] in story.incident_statuses
        ][:LINKS_MAX]
        assignee = operators[number % len(operators)]["id"] if operators else None
        problems.append(_problem(demo, problem_id, number, story, opened, assignee))
        links += [
            _row(demo, opened, problem_id=problem_id, incident_id=i["id"], actor_id=assignee)
            for i in linked
        ]
        created = {"status": [None, "NEW"], "title": [None, story.title]}
        changes.append(_change(demo, opened, problem_id, "CREATED", created, assignee))
        if linked:
            ids = [str(i["id"]) for i in linked]
            linked_changes = {"incidentIds": [None, ids]}
            changes.append(
                _change(demo, opened, problem_id, "INCIDENTS_LINKED", linked_changes, assignee)
            )
        if story.status != "NEW":
            moved = {"status": ["NEW", story.status]}
            later = opened + timedelta(days=2)
            changes.append(_change(demo, later, problem_id, "STATUS_CHANGED", moved, assignee))
        comments += [
            _row(
                demo,
                opened + timedelta(hours=6 * (n + 1)),
                problem_id=problem_id,
                author_id=assignee,
                body=body,
                visibility="WORK_NOTE",
            )
            for n, body in enumerate(story.notes)
        ]
    batches = (
        (tables.IncidentFact, facts),
        (tables.Problem, problems),
        (tables.ProblemIncident, links),
        (tables.ProblemChange, changes),
        (tables.ProblemComment, comments),
    )
    for table, batch in batches:
        if batch:  # an empty executemany would insert one row of defaults
            await session.execute(insert(table), batch)
    await session.execute(
        insert(tables.ProblemNumber),
        [{"tenant_id": demo.tenant_id, "last_number": len(PROBLEMS)}],
    )


def _fact(tenant_id: uuid.UUID, incident: dict[str, Any]) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "incident_id": incident["id"],
        "number": incident["number"],
        "title": incident["title"],
        "category": incident["category"],
        "ci_id": incident["ci_id"],
        "status": incident["status"],
        "opened_at": incident["opened_at"],
    }


def _row(demo: DemoTenant, at: Any, **values: Any) -> dict[str, Any]:
    return {"tenant_id": demo.tenant_id, "created_at": at, "updated_at": at, **values}


def _change(
    demo: DemoTenant,
    at: Any,
    problem_id: uuid.UUID,
    kind: str,
    changes: dict[str, Any],
    actor: uuid.UUID | None,
) -> dict[str, Any]:
    return _row(demo, at, problem_id=problem_id, kind=kind, changes=changes, actor_id=actor)


def _problem(
    demo: DemoTenant,
    problem_id: uuid.UUID,
    number: int,
    story: DemoProblem,
    opened: Any,
    assignee: uuid.UUID | None,
) -> dict[str, Any]:
    priority = derive_priority(Impact(story.impact), Urgency(story.urgency))
    known = story.workaround is not None
    resolved = story.status in ("RESOLVED", "CLOSED")
    return _row(
        demo,
        opened,
        id=problem_id,
        number=number,
        title=story.title,
        description=story.description,
        status=story.status,
        priority=rules.PRIORITY_RANK[priority],
        impact=story.impact,
        urgency=story.urgency,
        category=story.category,
        assignee_id=assignee,
        root_cause=story.root_cause,
        cause_code=story.cause_code,
        resolution_code=story.resolution_code,
        resolution_notes=story.resolution_notes,
        known_error=known,
        symptom=story.symptom,
        workaround=story.workaround,
        error_code=story.error_code,
        known_error_at=opened + timedelta(days=3) if known else None,
        workaround_published_at=opened + timedelta(days=3) if story.published else None,
        opened_at=opened,
        resolved_at=opened + timedelta(days=5) if resolved else None,
    )
