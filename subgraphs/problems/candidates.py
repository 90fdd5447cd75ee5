"""Spotting problems: clusters of recent incidents, not linked to a problem yet, that share a
configuration item, a category or similar titles (trigram similarity, PostgreSQL's pg_trgm,
installed in this domain's schema) — the recurring-incident report.

Read from this domain's read model of incidents (`incident_facts`), never from the incidents
domain's tables: one statement returns the window's unlinked incidents, each with the titles
of the window similar to its own; the clusters are formed here.

Titles are compared pairwise within the window (only the window's titles can join a
cluster), which no index serves: the work grows with the square of the window's titles. A
window holding more than `MAX_INCIDENTS` unlinked incidents is refused (BAD_USER_INPUT: a
narrower window), so one request is bounded — measured on titles drawn from a 35-word
vocabulary (nearly every pair shares trigrams), 200 titles take 0.2 s and 1,000 take 4.6 s
of the database's time."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import isodate
import strawberry
from sqlalchemy import bindparam, exists, func, select

from resolvers.errors import BadUserInput
from resolvers.loaders import TENANT, within_tenant
from subgraphs.problems import tables
from subgraphs.problems.enums import CandidateReason
from subgraphs.problems.incidents import Incident
from subgraphs.problems.references import ConfigurationItem

WINDOW_MAX = timedelta(days=366)
MIN_INCIDENTS = (2, 100)
MAX_INCIDENTS = 1_000  # unlinked incidents of a window (see the module docstring)
SIMILARITY = 0.5  # pg_trgm similarity of two titles that count as the same complaint
SINCE = "since"
LIMIT = "limit"

Fact = tables.IncidentFact
Link = tables.ProblemIncident


def _statement() -> Any:
    link_exists = exists().where(
        Link.tenant_id == Fact.tenant_id, Link.incident_id == Fact.incident_id
    )
    recent = (
        select(Fact.incident_id, Fact.title, Fact.category, Fact.ci_id, Fact.opened_at)
        .where(
            within_tenant(Fact.tenant_id),
            Fact.opened_at >= bindparam(SINCE, type_=Fact.opened_at.type),
            Fact.status != "CANCELLED",
            ~link_exists,
        )
        .order_by(Fact.opened_at.desc(), Fact.incident_id)
        .limit(bindparam(LIMIT))  # MAX_INCIDENTS + 1: a window over the bound is told
        .cte("recent")
    )
    # Each distinct title against the window's others once (similarity is symmetric; the
    # clustering joins both ways): incidents of a recurring problem often share theirs.
    titles = select(recent.c.title).distinct().cte("titles")
    other = titles.alias("other")
    similar = (
        select(other.c.title)
        .where(
            other.c.title > titles.c.title,
            func.problems.similarity(other.c.title, titles.c.title) >= SIMILARITY,
        )
        .scalar_subquery()
    )
    pairs = select(titles.c.title, func.array(similar).label("similar")).cte("similar_titles")
    return (
        select(recent, pairs.c.similar)
        .join_from(recent, pairs, pairs.c.title == recent.c.title, isouter=True)
        .order_by(recent.c.opened_at, recent.c.incident_id)
    )


STATEMENT = _statement()


@strawberry.type(description="Recent incidents that look like one problem, not linked to one yet.")
class ProblemCandidate:
    reason: CandidateReason = strawberry.field(description="What the incidents have in common.")
    ci: ConfigurationItem | None = strawberry.field(
        description="The configuration item they share (reason SAME_CI)."
    )
    category: str | None = strawberry.field(
        description="The category they share (reason SAME_CATEGORY)."
    )
    title: str = strawberry.field(
        description="A title standing for the cluster: its most frequent one (the oldest "
        "incident's among equals)."
    )
    incident_count: int = strawberry.field(description="How many incidents the cluster holds.")
    incidents: list[Incident] = strawberry.field(description="The incidents, oldest first.")
    first_opened_at: datetime = strawberry.field(description="When the oldest was opened.")
    last_opened_at: datetime = strawberry.field(description="When the newest was opened.")


def parse_window(window: str) -> timedelta:
    """The window, an ISO-8601 duration ("P7D", "PT36H"); BAD_USER_INPUT unless positive
    and at most a year (months and years count from now)."""
    try:
        parsed = isodate.parse_duration(window.strip())
    except (isodate.ISO8601Error, ValueError):
        raise BadUserInput(
            f"window must be an ISO-8601 duration such as P7D, got {window!r}", argument="window"
        ) from None
    now = datetime.now(UTC)
    span = now - (now - parsed)
    if not timedelta(0) < span <= WINDOW_MAX:
        raise BadUserInput(
            "window must be a positive duration of at most a year", argument="window"
        )
    return span


@dataclass(frozen=True)
class _Fact:
    incident_id: uuid.UUID
    title: str
    opened_at: datetime


def _candidate(
    reason: CandidateReason,
    facts: list[_Fact],
    ci_id: uuid.UUID | None = None,
    category: str | None = None,
) -> ProblemCandidate:
    facts = sorted(facts, key=lambda fact: (fact.opened_at, fact.incident_id))
    titles = [fact.title for fact in facts]
    return ProblemCandidate(
        reason=reason,
        ci=ConfigurationItem.ref(ci_id),
        category=category,
        title=max(titles, key=lambda title: (titles.count(title), -titles.index(title))),
        incident_count=len(facts),
        incidents=[Incident(id=strawberry.ID(str(fact.incident_id))) for fact in facts],
        first_opened_at=facts[0].opened_at,
        last_opened_at=facts[-1].opened_at,
    )


def _similar_groups(rows: Sequence[Any]) -> list[list[uuid.UUID]]:
    """The incidents whose titles are the same or similar, through chains of similar titles
    (connected components), each group once."""
    parent: dict[str, str] = {}

    def root(title: str) -> str:
        while parent.setdefault(title, title) != title:
            parent[title] = parent[parent[title]]
            title = parent[title]
        return title

    present = {row.title for row in rows}  # a title outside the window joins nothing
    for row in rows:
        for other in row.similar or ():
            if other in present:
                parent[root(other)] = root(row.title)
    groups: dict[str, list[uuid.UUID]] = {}
    for row in rows:
        groups.setdefault(root(row.title), []).append(row.incident_id)
    return list(groups.values())


def clusters(rows: list[Any], min_incidents: int) -> list[ProblemCandidate]:
    """The candidates among the window's unlinked incidents (the statement's rows), largest
    first, then most recent."""
    facts = {row.incident_id: _Fact(row.incident_id, row.title, row.opened_at) for row in rows}
    by_ci: dict[uuid.UUID, list[_Fact]] = {}
    by_category: dict[str, list[_Fact]] = {}
    for row in rows:
        if row.ci_id is not None:
            by_ci.setdefault(row.ci_id, []).append(facts[row.incident_id])
        if row.category:
            by_category.setdefault(row.category, []).append(facts[row.incident_id])
    found = [
        _candidate(CandidateReason.SAME_CI, group, ci_id=ci)
        for ci, group in by_ci.items()
        if len(group) >= min_incidents
    ]
    found += [
        _candidate(CandidateReason.SAME_CATEGORY, group, category=category)
        for category, group in by_category.items()
        if len(group) >= min_incidents
    ]
    found += [
        _candidate(CandidateReason.SIMILAR_TITLES, [facts[id] for id in group])
        for group in _similar_groups(rows)
        if len(group) >= min_incidents
    ]
    found.sort(key=lambda c: (-c.incident_count, -c.last_opened_at.timestamp(), c.reason.value))
    return found


async def problem_candidates(
    info: strawberry.Info,
    window: Annotated[
        str,
        strawberry.argument(
            description="How far back to look: an ISO-8601 duration (P7D: the last 7 days)."
        ),
    ] = "P7D",
    min_incidents: Annotated[
        int,
        strawberry.argument(description="The fewest incidents a cluster holds (2-100)."),
    ] = 3,
) -> list[ProblemCandidate]:
    span = parse_window(window)
    low, high = MIN_INCIDENTS
    if not low <= min_incidents <= high:
        raise BadUserInput(
            f"minIncidents must be between {low} and {high}", argument="minIncidents"
        )
    ctx = info.context
    since = datetime.now(UTC) - span
    parameters = {TENANT: ctx.tenant_id, SINCE: since, LIMIT: MAX_INCIDENTS + 1}
    rows = list(await ctx.db.rows(STATEMENT, parameters))
    if len(rows) > MAX_INCIDENTS:
        raise BadUserInput(
            f"the window {window} holds more than {MAX_INCIDENTS} incidents not linked to a "
            "problem: choose a shorter window",
            argument="window",
        )
    return clusters(rows, min_incidents)
