"""The incident domain's demo data: `demo.scale` incidents with their comment threads and
history, assigned to the users and teams seeded before (`demo.entities`), about the CMDB's
configuration items seeded before (a CI of a class fitting the category, and the business
service it hurts), so GraphiQL shows a blast radius with open incidents at once."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import attachments as attachment_tables
from resolvers.domain import DemoTenant
from subgraphs.incidents import tables
from subgraphs.incidents.attachments import seed as attachment_seed
from subgraphs.incidents.custom_fields import seed as field_seed
from subgraphs.incidents.custom_fields import tables as field_tables
from subgraphs.incidents.family import seed as family_seed

PROBLEMS = [
    ("VPN drops every few minutes", "network"),
    ("Cannot log in to the HR portal", "access"),
    ("Printer on floor 3 jams", "hardware"),
    ("Email delivery delayed", "email"),
    ("Payroll database slow", "database"),
    ("Kubernetes node NotReady", "platform"),
    ("Wi-Fi unavailable in meeting rooms", "network"),
    ("Laptop will not boot after update", "hardware"),
    ("SSO redirect loop", "access"),
    ("Disk usage above 90% on file server", "storage"),
    ("Website returns 502 errors", "platform"),
    ("Replica lag above 5 minutes", "database"),
]
# A believable thread: comments follow the incident's progress, in order, as far as its
# status has come (an open incident is still being looked at; a closed one was confirmed).
COMMENT_THREAD = [
    "Acknowledged, looking into it.",
    "Reproduced on my machine.",
    "Escalating to the owning team.",
    "Workaround sent to the reporter.",
    "Root cause identified, fix scheduled.",
    "Monitoring after the change; looks stable.",
    "Customer confirmed the issue is gone.",
]
THREAD_LENGTH = {
    "OPEN": 2,
    "IN_PROGRESS": 5,
    "ON_HOLD": 4,
    "RESOLVED": 6,
    "CLOSED": 7,
    "CANCELLED": 1,
}
STATUS_WEIGHTS = {
    "OPEN": 30,
    "IN_PROGRESS": 25,
    "ON_HOLD": 8,
    "RESOLVED": 17,
    "CLOSED": 15,
    "CANCELLED": 5,
}
LEVELS = ["LOW", "MEDIUM", "HIGH"]
PRIORITY = {
    ("HIGH", "HIGH"): 4,
    ("HIGH", "MEDIUM"): 3,
    ("HIGH", "LOW"): 2,
    ("MEDIUM", "HIGH"): 3,
    ("MEDIUM", "MEDIUM"): 2,
    ("MEDIUM", "LOW"): 1,
    ("LOW", "HIGH"): 2,
    ("LOW", "MEDIUM"): 1,
    ("LOW", "LOW"): 1,
}


# What later domains learn of each demo incident (`demo.entities["Incident"]`).
RECORDED = ("id", "number", "title", "category", "ci_id", "status", "opened_at")

# The CI classes an incident of each category is about.
CI_CLASSES = {
    "network": ("NetworkDevice", "LoadBalancer"),
    "access": ("Application", "ApplicationService"),
    "hardware": ("Server",),
    "email": ("Application", "ApplicationService", "Server"),
    "database": ("Database",),
    "platform": ("VirtualMachine", "Server", "Cluster", "ApplicationService"),
    "storage": ("StorageDevice",),
}


async def seed(session: AsyncSession, demo: DemoTenant) -> None:
    rows, comments, changes = _incidents(
        demo.random,
        demo.tenant_id,
        demo.entities["User"],
        demo.entities["Team"],
        demo.scale,
        demo.now,
    )
    affected = _point_at_cis(rows, changes, demo.entities.get("ConfigurationItem", []))
    comments.extend(_lifecycle(rows))
    # Labels first: they pair each row with its CREATED entry, before the family's entries.
    field_seed.label(rows, changes, comments, demo.entities["User"])
    family_seed.arrange(rows, changes)  # a major incident with children (family/)
    files, chunks = attachment_seed.attachments(demo.tenant_id, rows, changes)
    batches = (
        (field_tables.IncidentField, field_seed.field_rows(demo.tenant_id)),
        (tables.Incident, rows),
        (tables.IncidentComment, comments),
        (tables.IncidentChange, changes),
        (tables.IncidentAffectedCi, affected),
        (attachment_tables.Attachment, files),
        (attachment_tables.AttachmentChunk, chunks),
    )
    for table, batch in batches:
        if batch:  # an empty executemany would insert one row of defaults
            await session.execute(insert(table), batch)
    await session.execute(
        insert(tables.IncidentNumber), [{"tenant_id": demo.tenant_id, "last_number": demo.scale}]
    )
    demo.entities["Incident"] = [{key: row[key] for key in RECORDED} for row in rows]


def _incidents(
    rnd: random.Random,
    tenant: uuid.UUID,
    users: list[dict[str, Any]],
    teams: list[dict[str, Any]],
    count: int,
    now: datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    operators = [u for u in users if "viewer" not in u["roles"]]
    rows, comments, changes = [], [], []
    for number in range(1, count + 1):
        title, category = rnd.choice(PROBLEMS)
        status = rnd.choices(statuses, weights)[0]
        impact, urgency = rnd.choice(LEVELS), rnd.choice(LEVELS)
        opened = now - timedelta(minutes=(count - number) * 97 + rnd.randint(0, 60))
        working = status != "OPEN"
        finished = status in ("RESOLVED", "CLOSED")
        incident_id = uuid.UUID(int=rnd.getrandbits(128))
        reporter = rnd.choice(users)["id"]
        rows.append(
            {
                "id": incident_id,
                "tenant_id": tenant,
                "number": number,
                "title": title,
                "description": f"{title}. Reported via the service desk; see work notes.",
                "status": status,
                "priority": PRIORITY[(impact, urgency)],
                "impact": impact,
                "urgency": urgency,
                "category": category,
                "source": rnd.choice(["MANUAL", "EMAIL", "PHONE", "MONITORING"]),
                "assignee_id": rnd.choice(operators)["id"] if working else None,
                "team_id": rnd.choice(teams)["id"],
                "reporter_id": reporter,
                "opened_at": opened,
                "acknowledged_at": opened + timedelta(minutes=12) if working else None,
                "resolved_at": opened + timedelta(hours=5) if finished else None,
                "closed_at": opened + timedelta(days=2)
                if status in ("CLOSED", "CANCELLED")
                else None,
                "created_at": opened,
                "updated_at": opened + timedelta(minutes=30),
            }
        )
        changes.append(
            {
                "tenant_id": tenant,
                "incident_id": incident_id,
                "actor_id": reporter,
                "kind": "CREATED",
                "changes": {
                    "status": [None, "OPEN"],
                    "title": [None, title],
                    "category": [None, category],
                },
                "created_at": opened,
                "updated_at": opened,
            }
        )
        for n, body in enumerate(COMMENT_THREAD[: rnd.randint(0, THREAD_LENGTH[status])]):
            at = opened + timedelta(minutes=15 * (n + 1))
            comments.append(
                {
                    "tenant_id": tenant,
                    "incident_id": incident_id,
                    "author_id": rnd.choice(operators)["id"],
                    "body": body,
                    "visibility": rnd.choice(["WORK_NOTE", "WORK_NOTE", "PUBLIC"]),
                    "created_at": at,
                    "updated_at": at,
                }
            )
    return rows, comments, changes


# What the lifecycle needs of incidents in each status (lifecycle.REQUIRED), drawn per
# incident: AWAITING_PROBLEM often, as problems hold incidents until they are fixed.
HOLD_REASONS = ["AWAITING_PROBLEM", "AWAITING_PROBLEM", "AWAITING_VENDOR", "AWAITING_CHANGE"]
CALLER_QUESTION = "Could you tell us when this last worked, and send a screenshot of the error?"
RESOLUTIONS = [
    ("FIXED", "Applied the fix and confirmed with the reporter."),
    ("FIXED", "Restarted the failing service; monitoring shows it healthy."),
    ("WORKAROUND_PROVIDED", "Sent the documented workaround while the root cause is fixed."),
    ("USER_ERROR", "Walked the reporter through the right steps."),
    ("NOT_REPRODUCIBLE", "Could not reproduce; asked the reporter to reopen if it recurs."),
    ("DUPLICATE", "Tracked in an earlier incident about the same outage."),
]
CANCEL_REASONS = ["Raised twice by mistake.", "The reporter withdrew the request."]


def _lifecycle(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Set what each incident's status needs (hold reason, resolution, cancel reason); the
    public question of those held AWAITING_CALLER (one in five held). Drawn by a generator
    seeded with the incident's id, so `demo.random`'s sequence is as before."""
    questions: list[dict[str, Any]] = []
    for row in rows:
        rnd = random.Random(row["id"].int + 19)
        status = row["status"]
        row.update(hold_reason=None, resolution_code=None, resolution_notes=None)
        row.update(cancel_reason=None, reopen_count=0)
        if status == "ON_HOLD":
            row["hold_reason"] = (
                "AWAITING_CALLER" if rnd.random() < 1 / 5 else rnd.choice(HOLD_REASONS)
            )
        if status in ("RESOLVED", "CLOSED"):
            row["resolution_code"], row["resolution_notes"] = rnd.choice(RESOLUTIONS)
        if status == "CANCELLED":
            row["cancel_reason"] = rnd.choice(CANCEL_REASONS)
        if row["hold_reason"] == "AWAITING_CALLER":
            # After the thread: the question is what the incident waits on.
            at = row["updated_at"] = row["opened_at"] + timedelta(
                minutes=15 * (len(COMMENT_THREAD) + 1)
            )
            questions.append(
                {
                    "tenant_id": row["tenant_id"],
                    "incident_id": row["id"],
                    "author_id": row["assignee_id"],
                    "body": CALLER_QUESTION,
                    "visibility": "PUBLIC",
                    "created_at": at,
                    "updated_at": at,
                }
            )
    return questions


def _point_at_cis(
    rows: list[dict[str, Any]], changes: list[dict[str, Any]], cis: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Give each incident a CI of a class fitting its category (`ci_id`, and in its CREATED
    history entry) and, for one in three, a business service it affects; the affected rows.
    Chosen by a generator seeded with the incident's id, so the shared sequence of
    `demo.random` (and every later domain's data) is as without a CMDB."""
    by_class: dict[str, list[dict[str, Any]]] = {}
    for ci in cis:
        by_class.setdefault(ci["className"], []).append(ci)
    services = by_class.get("BusinessService", [])
    affected: list[dict[str, Any]] = []
    for row, change in zip(rows, changes, strict=True):
        row["ci_id"] = None  # one key set for every row of the insert
        candidates = [ci for name in CI_CLASSES[row["category"]] for ci in by_class.get(name, [])]
        if not candidates:
            continue
        rnd = random.Random(row["id"].int)
        ci_id = rnd.choice(candidates)["id"]
        row["ci_id"] = ci_id
        change["changes"]["ciId"] = [None, str(ci_id)]
        if services and rnd.random() < 1 / 3:
            service_id = rnd.choice(services)["id"]
            affected.append(
                {
                    "tenant_id": row["tenant_id"],
                    "incident_id": row["id"],
                    "ci_id": service_id,
                    "created_at": row["created_at"],
                    "updated_at": row["created_at"],
                }
            )
            change["changes"]["affectedCiIds"] = [None, [str(service_id)]]
    return affected
