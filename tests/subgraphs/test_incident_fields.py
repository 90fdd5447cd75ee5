"""Issue 19's fields against real PostgreSQL: tags (normalised, filtered any/all), custom
fields (definitions, values checked by their JSON Schema, filtered, in history and audit),
@mentions in comments, incidentCounts (one statement) and identity's `me`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.tables import audit, events
from opsgraph.domains import REGISTRY
from resolvers.context import Context
from resolvers.references import EntityPresence
from resolvers.work_filters import found_and_dated, searched
from subgraphs.incidents import tables
from subgraphs.incidents.custom_fields.filters import with_values
from subgraphs.incidents.custom_fields.inputs import IncidentFieldCondition
from subgraphs.incidents.field_filters import TagFilter
from subgraphs.incidents.field_filters import narrowed as narrowed_by_tags
from subgraphs.incidents.inputs import IncidentFilter
from subgraphs.incidents.queries import WORDS, about_ci
from tests.support import Subgraph, analysed, count_rows, rows_read

Sessions = async_sessionmaker[AsyncSession]
FILLERS = 20_000  # incidents without the value a filter looks for
APAC_CI, APAC_AFFECTED_CI = uuid.uuid4(), uuid.uuid4()  # the CIs one incident names
TOMORROW = datetime.now(UTC) + timedelta(days=1)  # when that incident was created
CREATED_AFTER = IncidentFilter(created_after=TOMORROW - timedelta(hours=1))

CREATE = """mutation($input: CreateIncidentInput!) {
  createIncident(input: $input) { id tags customFields } }"""
UPDATE = """mutation($id: ID!, $input: UpdateIncidentInput!) {
  updateIncident(id: $id, input: $input) { id tags customFields } }"""
FIELD = """mutation($input: CreateIncidentFieldInput!) {
  createIncidentField(input: $input) { id name type required enumValues } }"""
LIST = """query($filter: IncidentFilter) {
  incidents(filter: $filter, pagination: {first: 50}) { edges { node { title } } } }"""
HISTORY = """query($id: ID!) { incident(id: $id) {
  history { kind changes { field oldValue newValue } } } }"""
COMMENT = """mutation($id: ID!, $body: String!) {
  addComment(incidentId: $id, input: {body: $body}) { id mentions { id } } }"""
COUNTS = """query($groupBy: IncidentCountGroup!, $filter: IncidentFilter) {
  incidentCounts(groupBy: $groupBy, filter: $filter) {
    groupBy total groups { key count status priority team { id } assignee { id } } } }"""


async def written(owner_sessions: Sessions, tenant_id: uuid.UUID) -> dict[str, int]:
    """Rows of each kind the tenant has: what a refused write must not move."""
    return {
        table.__tablename__: await count_rows(owner_sessions, table, tenant_id)
        for table in (
            tables.Incident,
            tables.IncidentChange,
            tables.IncidentComment,
            events.OutboxEvent,
            audit.AuditEntry,
        )
    }


async def titles(incidents: Subgraph, **filter: Any) -> list[str]:
    data = await incidents.ok(LIST, filter=filter)
    return sorted(edge["node"]["title"] for edge in data["incidents"]["edges"])


async def refused(incidents: Subgraph, query: str, **variables: Any) -> dict[str, Any]:
    result = await incidents.run(query, **variables)
    assert result["data"] is None or not any(result["data"].values()), result
    [error] = result["errors"]
    return error  # type: ignore[no-any-return]


async def new_user(identity: Subgraph, name: str) -> str:
    email = f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.com"
    made = await identity.ok(
        "mutation($name: String!, $email: String!) {"
        ' createUser(input: {name: $name, email: $email, roles: ["operator"]}) { id } }',
        name=name,
        email=email,
    )
    return str(made["createUser"]["id"])


async def history(incidents: Subgraph, id: str) -> list[dict[str, Any]]:
    return (await incidents.ok(HISTORY, id=id))["incident"]["history"]  # type: ignore[no-any-return]


async def test_tags_are_normalised_filtered_and_recorded(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    made = await incidents.ok(
        CREATE, input={"title": "A", "tags": ["  Payroll   DB ", "VPN", "vpn"]}
    )
    a = made["createIncident"]
    assert a["tags"] == ["payroll db", "vpn"]
    await incidents.ok(CREATE, input={"title": "B", "tags": ["network"]})
    await incidents.ok(CREATE, input={"title": "C"})

    assert await titles(incidents, tags={"any": ["VPN", "network"]}) == ["A", "B"]
    assert await titles(incidents, tags={"all": ["vpn", "Payroll DB"]}) == ["A"]
    assert await titles(incidents, tags={"all": ["vpn", "network"]}) == []
    assert await titles(incidents, tags={"any": []}) == []
    assert await titles(incidents, tags={"all": []}) == ["A", "B", "C"]

    updated = await incidents.ok(UPDATE, id=a["id"], input={"tags": ["vpn", "Outage"]})
    assert updated["updateIncident"]["tags"] == ["outage", "vpn"]
    entries = await history(incidents, a["id"])
    assert {"field": "tags", "oldValue": None, "newValue": "payroll db, vpn"} in entries[0][
        "changes"
    ]
    assert entries[-1]["changes"] == [
        {"field": "tags", "oldValue": "payroll db, vpn", "newValue": "outage, vpn"}
    ]
    # Filtered as the tags now are (by their tokens, db/value_tokens.py).
    assert await titles(incidents, tags={"any": ["payroll db"]}) == []
    assert await titles(incidents, tags={"all": ["outage", "vpn"]}) == ["A"]

    before = await written(owner_sessions, tenant_id)
    for tags, message in (
        (["x" * 51], "input.tags[0]: a tag is 1-50 characters (after trimming)"),
        (["ok", "   "], "input.tags[1]: a tag is 1-50 characters (after trimming)"),
        ([f"t{n}" for n in range(21)], "input.tags: at most 20 distinct tags"),
    ):
        error = await refused(incidents, CREATE, input={"title": "bad", "tags": tags})
        assert (error["message"], error["extensions"]["code"]) == (message, "BAD_USER_INPUT")
        error = await refused(incidents, UPDATE, id=a["id"], input={"tags": tags})
        assert error["extensions"]["field"] == "input.tags"
    error = await refused(incidents, LIST, filter={"tags": {"any": ["y" * 51]}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert await written(owner_sessions, tenant_id) == before


async def test_field_definitions(incidents: Subgraph, owner_sessions: Sessions) -> None:
    made = await incidents.ok(
        FIELD, input={"name": "region", "type": "ENUM", "enumValues": ["emea", "apac"]}
    )
    assert made["createIncidentField"]["enumValues"] == ["emea", "apac"]
    await incidents.ok(FIELD, input={"name": "score", "type": "NUMBER", "required": True})
    listed = await incidents.ok("{ incidentFields { name type required enumValues } }")
    assert listed["incidentFields"] == [
        {"name": "region", "type": "ENUM", "required": False, "enumValues": ["emea", "apac"]},
        {"name": "score", "type": "NUMBER", "required": True, "enumValues": None},
    ]
    for input, code, field in (
        ({"name": "region", "type": "STRING"}, "CONFLICT", "input.name"),
        ({"name": "Region", "type": "STRING"}, "BAD_USER_INPUT", "input.name"),
        ({"name": "a-b", "type": "STRING"}, "BAD_USER_INPUT", "input.name"),
        ({"name": "x" * 51, "type": "STRING"}, "BAD_USER_INPUT", "input.name"),
        ({"name": "tier", "type": "ENUM"}, "BAD_USER_INPUT", "input.enumValues"),
        (
            {"name": "tier", "type": "ENUM", "enumValues": ["a", "a"]},
            "BAD_USER_INPUT",
            "input.enumValues",
        ),
        (
            {"name": "tier", "type": "STRING", "enumValues": ["a"]},
            "BAD_USER_INPUT",
            "input.enumValues",
        ),
    ):
        error = await refused(incidents, FIELD, input=input)
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field)
    listed = await incidents.ok("{ incidentFields { name } }")
    assert len(listed["incidentFields"]) == 2


async def test_custom_field_values_are_checked_and_nothing_is_written_when_wrong(
    incidents: Subgraph, identity: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    for input in (
        {"name": "region", "type": "ENUM", "enumValues": ["emea", "apac"]},
        {"name": "score", "type": "NUMBER", "required": True},
        {"name": "vip", "type": "BOOLEAN"},
        {"name": "due", "type": "DATE"},
        {"name": "note", "type": "STRING"},
        {"name": "owner", "type": "USER"},
    ):
        await incidents.ok(FIELD, input=input)
    owner = await new_user(identity, "Olga")
    good = {"score": 3, "region": "emea", "vip": True, "due": "2026-12-24", "owner": owner}
    made = await incidents.ok(CREATE, input={"title": "ok", "customFields": good})
    incident = made["createIncident"]
    assert incident["customFields"] == good

    before = await written(owner_sessions, tenant_id)
    cases = [
        ({}, "customFields.score is required", "customFields.score", "BAD_USER_INPUT"),
        ({"score": "3"}, None, "customFields.score", "BAD_USER_INPUT"),
        ({"score": 1, "region": "mars"}, None, "customFields.region", "BAD_USER_INPUT"),
        ({"score": 1, "vip": "yes"}, None, "customFields.vip", "BAD_USER_INPUT"),
        ({"score": 1, "due": "24/12/2026"}, None, "customFields.due", "BAD_USER_INPUT"),
        ({"score": 1, "note": "x" * 1001}, None, "customFields.note", "BAD_USER_INPUT"),
        (
            {"score": 1, "colour": "red"},
            "customFields.colour: the tenant has no such incident field",
            "customFields.colour",
            "BAD_USER_INPUT",
        ),
        ({"score": 1, "owner": "nobody"}, None, "customFields.owner", "BAD_USER_INPUT"),
        ({"score": 1, "owner": str(uuid.uuid4())}, None, "customFields.owner", "NOT_FOUND"),
    ]
    for values, message, field, code in cases:
        error = await refused(incidents, CREATE, input={"title": "bad", "customFields": values})
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field)
        if message:
            assert error["message"] == message
    error = await refused(incidents, CREATE, input={"title": "bad", "customFields": [1]})
    assert error["extensions"]["field"] == "customFields"
    for patch, field in (
        ({"score": None}, "customFields.score"),  # a required value cannot be cleared
        ({"region": "mars"}, "customFields.region"),
        ({"colour": None}, "customFields.colour"),
    ):
        error = await refused(incidents, UPDATE, id=incident["id"], input={"customFields": patch})
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (
            "BAD_USER_INPUT",
            field,
        )
    assert await written(owner_sessions, tenant_id) == before


async def test_custom_field_values_are_merged_recorded_and_filtered(
    incidents: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    await incidents.ok(FIELD, input={"name": "score", "type": "NUMBER"})
    await incidents.ok(FIELD, input={"name": "due", "type": "DATE"})
    await incidents.ok(FIELD, input={"name": "region", "type": "STRING"})
    ids = {}
    for title, values in (
        ("low", {"score": 1, "due": "2026-01-10", "region": "emea"}),
        ("mid", {"score": 5.5, "due": "2026-03-01"}),
        ("high", {"score": 40, "region": "apac"}),
    ):
        made = await incidents.ok(CREATE, input={"title": title, "customFields": values})
        ids[title] = made["createIncident"]["id"]

    def where(**condition: Any) -> dict[str, Any]:
        return {"customFields": [condition]}

    assert await titles(incidents, **where(name="region", eq="emea")) == ["low"]
    assert await titles(incidents, **where(name="score", gt=1)) == ["high", "mid"]
    assert await titles(incidents, **where(name="score", gte=1, lt=10)) == ["low", "mid"]
    assert await titles(incidents, **where(name="due", lt="2026-02-01")) == ["low"]
    assert await titles(incidents, **where(name="region", exists=False)) == ["mid"]
    assert await titles(incidents, **where(name="region", **{"in": ["emea", "apac"]})) == [
        "high",
        "low",
    ]
    error = await refused(incidents, LIST, filter=where(name="score", gt=[1]))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"

    updated = await incidents.ok(
        UPDATE, id=ids["low"], input={"customFields": {"score": 2, "region": None}}
    )
    assert updated["updateIncident"]["customFields"] == {"score": 2, "due": "2026-01-10"}
    entries = await history(incidents, ids["low"])
    assert {"field": "customFields.score", "oldValue": None, "newValue": "1"} in entries[0][
        "changes"
    ]
    assert sorted(entries[-1]["changes"], key=lambda c: c["field"]) == [
        {"field": "customFields.region", "oldValue": "emea", "newValue": None},
        {"field": "customFields.score", "oldValue": "1", "newValue": "2"},
    ]
    async with owner_sessions() as session:
        entry = (
            await session.execute(
                select(audit.AuditEntry.before, audit.AuditEntry.after).where(
                    audit.AuditEntry.tenant_id == tenant_id,
                    audit.AuditEntry.operation == "updateIncident",
                )
            )
        ).one()
    assert entry.before == {"customFields.region": "emea", "customFields.score": 1}
    assert entry.after == {"customFields.region": None, "customFields.score": 2}
    # The same values again change nothing: no history entry.
    await incidents.ok(UPDATE, id=ids["low"], input={"customFields": {"score": 2}})
    assert len(await history(incidents, ids["low"])) == len(entries)
    # Equality answers as the values now are (by their tokens, db/value_tokens.py); numbers
    # equal by value, as jsonb compares them.
    assert await titles(incidents, **where(name="region", eq="emea")) == []
    assert await titles(incidents, **where(name="score", eq=2.0)) == ["low"]
    assert await titles(incidents, **where(name="score", eq=5.5)) == ["mid"]
    assert await titles(incidents, **where(name="score", eq="2")) == []
    # Ranges likewise, by the numbers as they are now (the low one's 1 became 2).
    assert await titles(incidents, **where(name="score", gt=1, lt=3)) == ["low"]


@pytest.mark.plans
@pytest.mark.parametrize(
    "narrowed",
    [
        lambda query: with_values(
            query,
            tables.Incident.custom_fields,
            [IncidentFieldCondition(name="region", eq="apac")],
        ),
        lambda query: with_values(
            query,
            tables.Incident.custom_fields,
            [IncidentFieldCondition(name="score", gt=50)],
        ),
        lambda query: narrowed_by_tags(query, TagFilter(any=["apac", "amer"]), None),
        lambda query: narrowed_by_tags(query, TagFilter(all=["apac"]), None),
        lambda query: searched(query, tables.Incident, "apac", "english", WORDS),
        lambda query: query.where(about_ci(APAC_CI)),
        lambda query: query.where(about_ci(APAC_AFFECTED_CI)),
        lambda query: found_and_dated(query, tables.Incident, CREATED_AFTER, WORDS),
    ],
    ids=[
        "customFields eq",
        "customFields range",
        "tags any",
        "tags all",
        "search",
        "ciId",
        "ciId affected",
        "created",
    ],
)
async def test_a_filter_on_values_reads_only_the_incidents_holding_them(
    database_url: str,
    owner_sessions: Sessions,
    tenant_id: uuid.UUID,
    narrowed: Callable[[Any], Any],
) -> None:
    """Behind the tenant wall, a custom field's `eq` or range, a tags filter, a search, a CI
    (primary or affected) and a time of creation find their one incident among 20,001 without
    reading the others: containment, overlap and `@@` alone cannot use their indexes there.
    (Among 2,001 holding other values, reading them all was once the planner's choice.)
    Here the others hold one other value. A page, newest first: the CI's, as `ci_id = $ci
    OR id IN (its affected incidents, correlated)`, walked the newest-first index through
    all 20,001; `createdAfter` had no index."""
    row = {"tenant_id": tenant_id, "status": "OPEN", "priority": 3, "impact": "LOW"}
    row |= {"urgency": "LOW", "source": "MANUAL"}
    # One other value most incidents hold: the only other token of the custom field and tag.
    emea = {"custom_fields": {"region": "emea", "score": 1}, "tags": ["emea"]}
    rows = [{**row, **emea, "title": f"filler {n}", "number": n} for n in range(1, FILLERS + 1)]
    apac = {"title": "apac", "number": 0, "tags": ["apac"]}
    apac |= {"custom_fields": {"region": "apac", "score": 99}}
    apac |= {"id": uuid.uuid4(), "ci_id": APAC_CI, "created_at": TOMORROW}
    affected = {"tenant_id": tenant_id, "incident_id": apac["id"], "ci_id": APAC_AFFECTED_CI}
    async with owner_sessions() as session, session.begin():
        await session.execute(insert(tables.Incident), [*rows, {**row, **apac}])
        await session.execute(insert(tables.IncidentAffectedCi), [affected])
    await analysed(
        owner_sessions,
        "incidents.incidents",
        "incidents.incident_field_tokens",
        "incidents.incident_field_numbers",
        "incidents.incident_tag_tokens",
        "incidents.incident_affected_cis",
    )
    incident = tables.Incident
    newest = (incident.opened_at.desc(), incident.id.desc())
    page = narrowed(select(incident.title)).order_by(*newest).limit(21)

    found, read = await rows_read(database_url, tenant_id, page, incident)

    assert [r.title for r in found] == ["apac"]
    assert read <= 5  # the incident found, by its key; not the tenant's 20,001


async def test_mentions_are_parsed_checked_and_stored(
    incidents: Subgraph, identity: Subgraph, owner_sessions: Sessions, tenant_id: uuid.UUID
) -> None:
    ann, bob = await new_user(identity, "Ann"), await new_user(identity, "Bob")
    made = await incidents.ok(CREATE, input={"title": "Printer"})
    id = made["createIncident"]["id"]
    body = (
        f"@[Ann]({ann.upper()}) and @[Bob Smith]({bob}) please look; again @[Ann]({ann}); "
        "mail ann@example.com or @ann (plain text)"
    )
    comment = (await incidents.ok(COMMENT, id=id, body=body))["addComment"]
    assert comment["mentions"] == [{"id": ann}, {"id": bob}]
    read = await incidents.ok(
        "query($id: ID!) { incident(id: $id) { comments { mentions { id } } } }", id=id
    )
    assert read["incident"]["comments"] == [{"mentions": [{"id": ann}, {"id": bob}]}]
    entries = await history(incidents, id)
    assert entries[-1]["changes"][1] == {
        "field": "mentions",
        "oldValue": None,
        "newValue": f"{ann}, {bob}",
    }

    before = await written(owner_sessions, tenant_id)
    stranger = uuid.uuid4()
    error = await refused(incidents, COMMENT, id=id, body=f"cc @[Ann]({ann}) @[X]({stranger})")
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (
        "NOT_FOUND",
        "input.body.mentions[1]",
    )
    many = " ".join(f"@[U]({uuid.uuid4()})" for _ in range(51))
    error = await refused(incidents, COMMENT, id=id, body=many)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert await written(owner_sessions, tenant_id) == before


async def test_incident_counts_group_in_one_statement(
    incidents: Subgraph, identity: Subgraph, statements: Any
) -> None:
    ann = await new_user(identity, "Ann")
    for title, impact, tags in (
        ("a", "HIGH", ["x"]),
        ("b", "HIGH", ["x"]),
        ("c", "LOW", ["y"]),
    ):
        made = await incidents.ok(
            CREATE, input={"title": title, "impact": impact, "urgency": "HIGH", "tags": tags}
        )
        if title != "c":
            await incidents.ok(
                "mutation($id: ID!, $u: ID!) { assignIncident(id: $id, userId: $u) { id } }",
                id=made["createIncident"]["id"],
                u=ann,
            )
    statements.reset()
    by_status = (await incidents.ok(COUNTS, groupBy="STATUS"))["incidentCounts"]
    assert statements.count == 2  # the tenant's set_config, the GROUP BY
    assert by_status["total"] == 3
    assert [(g["key"], g["status"], g["count"]) for g in by_status["groups"]] == [
        ("OPEN", "OPEN", 3)
    ]
    by_priority = (await incidents.ok(COUNTS, groupBy="PRIORITY"))["incidentCounts"]
    assert [(g["priority"], g["count"]) for g in by_priority["groups"]] == [
        ("CRITICAL", 2),
        ("MEDIUM", 1),
    ]
    by_assignee = (await incidents.ok(COUNTS, groupBy="ASSIGNEE"))["incidentCounts"]
    assert [(g["key"], g["assignee"], g["count"]) for g in by_assignee["groups"]] == [
        (ann, {"id": ann}, 2),
        (None, None, 1),
    ]
    filtered = (await incidents.ok(COUNTS, groupBy="TEAM", filter={"tags": {"any": ["y"]}}))[
        "incidentCounts"
    ]
    assert (filtered["total"], filtered["groups"][0]["team"]) == (1, None)


@pytest.fixture
def caller(
    sessions: Sessions, tenant_id: uuid.UUID, entity_presence: EntityPresence
) -> Callable[..., Context]:
    def make(roles: frozenset[str], user_id: uuid.UUID | None, authenticated: bool) -> Context:
        principal = REGISTRY.roles.principal(
            tenant_id, roles, user_id=user_id, authenticated=authenticated
        )
        return Context.open(sessions, principal=principal, entity_presence=entity_presence)

    return make


ME = "{ me { id name roles permissions } }"


async def test_me_is_the_caller_with_what_it_may_do(
    identity: Subgraph, caller: Callable[..., Context]
) -> None:
    olga = await new_user(identity, "Olga")
    viewer = caller(frozenset({"viewer"}), uuid.UUID(olga), True)
    me = (await identity.ok(ME, viewer))["me"]
    await viewer.close()
    # The credentials' roles decide what this request may do (viewer), not the stored ones.
    assert (me["id"], me["name"], me["roles"]) == (olga, "Olga", ["operator"])
    assert me["permissions"] == sorted(REGISTRY.roles.builtin["viewer"])
    # Another user's permissions are what its stored roles grant.
    admin = caller(frozenset({"admin"}), None, True)
    other = await identity.ok("query($id: ID!) { user(id: $id) { permissions } }", admin, id=olga)
    await admin.close()
    assert other["user"]["permissions"] == sorted(REGISTRY.roles.builtin["operator"])

    api_client = caller(frozenset({"viewer"}), None, True)
    assert (await identity.ok(ME, api_client))["me"] is None
    await api_client.close()
    anonymous = caller(frozenset(), None, False)
    result = await identity.run(ME, anonymous)
    await anonymous.close()
    assert [e["extensions"]["code"] for e in result["errors"]] == ["UNAUTHENTICATED"]
