"""Reads fetch only what the operation asks: the columns its selection needs, and for
`comments(last: N)` only N comments per incident, in the same statements as before.

Each query runs on both of the subgraph's executors: the compiled one, and the normal one
(which a directive sends it to)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from resolvers.context import Context
from subgraphs.identity import tables as identity_tables
from subgraphs.incidents import tables
from tests.support import Subgraph

T0 = datetime(2026, 1, 1, tzinfo=UTC)
COMMENTS_PER_INCIDENT = 40

# The normal executor answers documents with directives; the compiled one the others.
EXECUTORS = {"compiled": "", "normal": " @include(if: true)"}


async def add_incidents(
    owner_sessions: Any, tenant_id: uuid.UUID, count: int, comments: int
) -> list[uuid.UUID]:
    """`count` incidents with `comments` comments each (bodies "c0", "c1", ... oldest
    first), written directly."""
    ids = [uuid.uuid4() for _ in range(count)]
    async with owner_sessions() as session, session.begin():
        await session.execute(
            insert(tables.Incident),
            [
                {
                    "id": incident_id,
                    "tenant_id": tenant_id,
                    "number": 9000 + n,
                    "title": f"incident {n}",
                    "description": "a long description nobody on the page reads",
                    "status": "OPEN",
                    "priority": 2,
                    "impact": "MEDIUM",
                    "urgency": "MEDIUM",
                    "source": "MANUAL",
                    "opened_at": T0 + timedelta(minutes=n),
                }
                for n, incident_id in enumerate(ids)
            ],
        )
        if not comments:
            return ids
        await session.execute(
            insert(tables.IncidentComment),
            [
                {
                    "tenant_id": tenant_id,
                    "incident_id": incident_id,
                    "body": f"c{c}",
                    "visibility": "PUBLIC",
                    "created_at": T0 + timedelta(seconds=c),
                }
                for incident_id in ids
                for c in range(comments)
            ],
        )
    return ids


def selected_columns(statement: str) -> list[str]:
    """The names of the columns a SELECT statement reads, in order."""
    selected = re.split(r"\s+FROM\s+", statement.removeprefix("SELECT "), maxsplit=1)[0]
    return [column.strip().rsplit(".", 1)[-1] for column in selected.split(",")]


class RowsRead:
    """The rows each statement of a request's database returned (the real database; this
    only looks at what crosses to Python)."""

    def __init__(self, context: Context) -> None:
        self.counts: list[int] = []
        rows = context.db.rows

        async def counted(statement: Any, params: Any = None) -> Sequence[Any]:
            found = await rows(statement, params)
            self.counts.append(len(found))
            return found

        context.db.rows = counted  # type: ignore[method-assign]


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("end", ["first", "last"])
async def test_comments_first_or_last_n_read_n_rows_per_incident_in_one_statement(
    incidents: Subgraph,
    owner_sessions: Any,
    tenant_id: uuid.UUID,
    new_context: Any,
    statements: Any,
    executor: str,
    end: str,
) -> None:
    await add_incidents(owner_sessions, tenant_id, 3, COMMENTS_PER_INCIDENT)
    context = new_context()
    read = RowsRead(context)
    statements.reset()

    data = await incidents.ok(
        "{ incidents(pagination: {first: 3}) { edges { node { title "
        f"comments({end}: 3){EXECUTORS[executor]} {{ body }} }} }} }} }}",
        context,
    )

    nodes = [edge["node"] for edge in data["incidents"]["edges"]]
    assert [node["title"] for node in nodes] == ["incident 2", "incident 1", "incident 0"]
    ends = {"first": range(3), "last": range(COMMENTS_PER_INCIDENT - 3, COMMENTS_PER_INCIDENT)}
    expected = [f"c{c}" for c in ends[end]]
    assert all([c["body"] for c in node["comments"]] == expected for node in nodes)
    # The tenant's wall, the page, the comments: as many statements as ever.
    assert statements.count == 3, statements.statements
    assert "LIMIT batch.size" in statements.statements[2]
    # 3 incidents (the page), then 3 comments of each of them: not 40 of each.
    assert read.counts == [3, 3 * 3]


@pytest.mark.parametrize("executor", EXECUTORS)
async def test_comments_slices_of_one_incident_answer_each_in_order(
    incidents: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID, executor: str
) -> None:
    (incident_id,) = await add_incidents(owner_sessions, tenant_id, 1, 5)
    data = await incidents.ok(
        f"query($id: ID!) {{ incident(id: $id) {{ all: comments{EXECUTORS[executor]} {{ body }} "
        "last: comments(last: 2) { body } none: comments(last: 0) { body } "
        "first: comments(first: 2) { body } many: comments(first: 9) { body } } }",
        id=str(incident_id),
    )
    assert [c["body"] for c in data["incident"]["all"]] == ["c0", "c1", "c2", "c3", "c4"]
    assert [c["body"] for c in data["incident"]["last"]] == ["c3", "c4"]
    assert data["incident"]["none"] == []
    assert [c["body"] for c in data["incident"]["first"]] == ["c0", "c1"]
    assert [c["body"] for c in data["incident"]["many"]] == ["c0", "c1", "c2", "c3", "c4"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("first: 1, last: 1", "Pass either first or last, not both"),
        ("first: 101", "first must be between 0 and 100"),
        ("last: -1", "last must be between 0 and 100"),
    ],
)
@pytest.mark.parametrize("executor", EXECUTORS)
async def test_comments_slices_that_make_no_sense_are_refused(
    incidents: Subgraph,
    owner_sessions: Any,
    tenant_id: uuid.UUID,
    executor: str,
    arguments: str,
    message: str,
) -> None:
    (incident_id,) = await add_incidents(owner_sessions, tenant_id, 1, 1)
    result = await incidents.run(
        f"query($id: ID!) {{ incident(id: $id) {{ title "
        f"comments({arguments}){EXECUTORS[executor]} {{ body }} }} }}",
        id=str(incident_id),
    )
    assert result["data"] == {"incident": None}
    assert [(e["message"], e["extensions"]["code"]) for e in result["errors"]] == [
        (message, "BAD_USER_INPUT")
    ]


@pytest.mark.parametrize("executor", EXECUTORS)
async def test_a_page_selects_only_the_columns_its_fields_need(
    incidents: Subgraph,
    owner_sessions: Any,
    tenant_id: uuid.UUID,
    new_context: Any,
    statements: Any,
    executor: str,
) -> None:
    await add_incidents(owner_sessions, tenant_id, 2, 1)
    statements.reset()
    await incidents.ok(
        "{ incidents(pagination: {first: 2}) { edges { node { number"
        f"{EXECUTORS[executor]} comments {{ body }} }} }} }} }}"
    )
    page, comments = statements.statements[1:]
    # number, the sort keys for the cursors (opened_at, id); nothing else.
    assert selected_columns(page) == ["number", "opened_at", "id"], page
    # body; the key and the order the loader groups and sorts by.
    assert sorted(selected_columns(comments)) == ["body", "created_at", "id", "incident_id"]


async def test_loads_of_one_key_with_different_columns_share_one_statement(
    incidents: Subgraph,
    owner_sessions: Any,
    tenant_id: uuid.UUID,
    new_context: Any,
    statements: Any,
) -> None:
    await add_incidents(owner_sessions, tenant_id, 1, 0)
    context = new_context()
    statements.reset()
    data = await incidents.ok(
        '{ a: incidentByNumber(number: "INC-9000") { title } '
        'b: incidentByNumber(number: "9000") { description } }',
        context,
    )
    assert data == {
        "a": {"title": "incident 0"},
        "b": {"description": "a long description nobody on the page reads"},
    }
    assert statements.count == 2, statements.statements  # the wall, one read of both
    assert selected_columns(statements.statements[1]) == ["number", "title", "description", "id"]

    # A key read with fewer columns than a later request of the same context asks for is
    # read again, with them; one read with all it needs is not.
    for _ in range(2):
        data = await incidents.ok('{ incidentByNumber(number: "9000") { urgency } }', context)
        assert data == {"incidentByNumber": {"urgency": "MEDIUM"}}
    assert statements.count == 3, statements.statements


async def test_concurrent_reads_of_one_key_with_different_columns_answer_each(
    incidents: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID
) -> None:
    """Two `_entities`-style reads (``read_many``) of one key in flight at once: each
    answer has the columns its own selection needs."""
    (incident_id,) = await add_incidents(owner_sessions, tenant_id, 1, 0)
    data = await incidents.ok(
        "query($id: ID!) { a: incident(id: $id) { title } "
        "b: incident(id: $id) { description } c: incident(id: $id) { title } }",
        id=str(incident_id),
    )
    assert data == {
        "a": {"title": "incident 0"},
        "b": {"description": "a long description nobody on the page reads"},
        "c": {"title": "incident 0"},
    }


async def test_masked_fields_read_the_columns_their_resolvers_need(
    identity: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID, statements: Any
) -> None:
    user_id = uuid.uuid4()
    async with owner_sessions() as session, session.begin():
        await session.execute(
            insert(identity_tables.User),
            [
                {
                    "id": user_id,
                    "tenant_id": tenant_id,
                    "name": "Ada",
                    "email": "ada@example.com",
                    "phone": "+44 20 7946 0000",
                }
            ],
        )
    statements.reset()
    data = await identity.ok(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { name phone } } }",
        r=[{"__typename": "User", "id": str(user_id)}],
    )
    assert data == {"_entities": [{"name": "Ada", "phone": "+44 20 7946 0000"}]}
    assert selected_columns(statements.statements[1]) == ["name", "phone", "id"]
