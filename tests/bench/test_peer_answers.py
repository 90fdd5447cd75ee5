"""PostGraphile's answers translated into OpsGraph's shape, and the comparison the bench runs
before measuring the peer: it must pass on the same data and name every kind of difference."""

from __future__ import annotations

import copy
from typing import Any

from bench.peer_answers import detail_as_opsgraph, differences, page_as_opsgraph

INCIDENT = "3db3b8d7-3a77-41c3-b269-1eccf5b87b76"
OTHER = "3a76c000-c156-4356-9575-59c99c3c01a9"


def peer_node(row_id: str, number: int, opened_at: str) -> dict[str, Any]:
    return {
        "rowId": row_id,
        "number": number,
        "title": "Cluster dns storage issue",
        "status": "OPEN",
        "priority": 4,
        "openedAt": opened_at,
        "assignee": None,
        "team": {"name": "Team 00"},
        "reporter": {"name": "User 0066"},
        "comments": {
            "nodes": [
                {
                    "body": "Work note 1: checked dns.",
                    "createdAt": "2026-10-31T23:59:29.280000+00:00",
                    "author": {"name": "User 0061"},
                }
            ]
        },
    }


def opsgraph_node(row_id: str, number: int, opened_at: str) -> dict[str, Any]:
    return {
        "id": row_id,
        "number": f"INC-{number}",
        "title": "Cluster dns storage issue",
        "status": "OPEN",
        "priority": "CRITICAL",
        "openedAt": opened_at,
        "assignee": None,
        "team": {"name": "Team 00"},
        "reporter": {"name": "User 0066"},
        "comments": [
            {
                "body": "Work note 1: checked dns.",
                "createdAt": "2026-10-31T23:59:29.28+00:00",
                "author": {"name": "User 0061"},
            }
        ],
    }


def pages() -> tuple[dict[str, Any], dict[str, Any]]:
    """The same two incidents as OpsGraph and as PostGraphile answer them."""
    peer = {
        "allIncidents": {
            "edges": [
                {"node": peer_node(OTHER, 100000, "2026-11-01T00:00:00.000000+00:00")},
                {"node": peer_node(INCIDENT, 99999, "2026-10-31T23:49:29.280000+00:00")},
            ],
            "pageInfo": {"hasNextPage": True, "endCursor": "WyIzNGI0MGIzYTlmIl0="},
        }
    }
    ours = {
        "incidents": {
            "edges": [
                {"node": opsgraph_node(OTHER, 100000, "2026-11-01T00:00:00+00:00")},
                {"node": opsgraph_node(INCIDENT, 99999, "2026-10-31T23:49:29.280000+00:00")},
            ],
            "pageInfo": {"hasNextPage": True, "endCursor": "T1BFTkVEX0FUOkRFU0M"},
        }
    }
    return ours, page_as_opsgraph(peer)


def test_the_same_page_in_each_naming_has_no_differences() -> None:
    ours, theirs = pages()
    assert differences(ours, theirs) == []
    assert theirs["incidents"]["edges"][1]["node"]["number"] == "INC-99999"
    assert theirs["incidents"]["edges"][1]["node"]["priority"] == "CRITICAL"


def test_rows_in_another_order_differ() -> None:
    ours, theirs = pages()
    theirs["incidents"]["edges"].reverse()
    found = differences(ours, theirs, "page")
    assert f"page.incidents.edges[0].node.id: expected '{OTHER}', found '{INCIDENT}'" in found


def test_a_different_value_count_type_or_field_is_named() -> None:
    ours, theirs = pages()
    changed = copy.deepcopy(theirs)
    node = changed["incidents"]["edges"][0]["node"]
    node["title"] = "Another title"
    node["comments"].append(node["comments"][0])
    node["team"] = None
    del node["reporter"]
    changed["incidents"]["pageInfo"]["hasNextPage"] = 1
    path = "page.incidents.edges[0].node"
    assert sorted(differences(ours, changed, "page")) == sorted(
        [
            f"{path}.title: expected 'Cluster dns storage issue', found 'Another title'",
            f"{path}.comments: 1 items expected, 2 found",
            f"{path}.team: expected {{'name': 'Team 00'}}, found None",
            f"{path}.reporter: only in expected",
            "page.incidents.pageInfo.hasNextPage: expected True, found 1",
        ]
    )


def test_timestamps_are_compared_as_instants() -> None:
    ours, theirs = pages()
    node = theirs["incidents"]["edges"][0]["node"]
    node["openedAt"] = "2026-11-01T01:00:00.000000+01:00"  # the same instant
    assert differences(ours, theirs) == []
    node["openedAt"] = "2026-11-01T00:00:00.000001+00:00"
    assert differences(ours, theirs, "page") == [
        "page.incidents.edges[0].node.openedAt: expected '2026-11-01T00:00:00+00:00', "
        "found '2026-11-01T00:00:00.000001+00:00'"
    ]


def test_differences_stop_at_the_limit() -> None:
    ours, theirs = pages()
    for edge in theirs["incidents"]["edges"]:
        edge["node"]["title"] = edge["node"]["status"] = "x"
    assert len(differences(ours, theirs, limit=3)) == 3


def test_a_detail_translates_connections_ids_and_history() -> None:
    peer = {
        "incidentByRowId": {
            "rowId": INCIDENT,
            "number": 7,
            "priority": 1,
            "assignee": {"name": "User 0001", "teams": [{"name": "Team 01"}]},
            "comments": {"nodes": []},
            "history": {
                "nodes": [
                    {
                        "kind": "UPDATED",
                        "createdAt": "2026-11-01T00:00:00.000000+00:00",
                        "changes": {"status": ["OPEN", "IN_PROGRESS"], "priority": [1, None]},
                        "actor": None,
                    }
                ]
            },
        }
    }
    assert detail_as_opsgraph(peer) == {
        "incident": {
            "id": INCIDENT,
            "number": "INC-7",
            "priority": "LOW",
            "assignee": {"name": "User 0001", "teams": [{"name": "Team 01"}]},
            "comments": [],
            "history": [
                {
                    "kind": "UPDATED",
                    "createdAt": "2026-11-01T00:00:00.000000+00:00",
                    "changes": [
                        {"field": "status", "oldValue": "OPEN", "newValue": "IN_PROGRESS"},
                        {"field": "priority", "oldValue": "1", "newValue": None},
                    ],
                    "actor": None,
                }
            ],
        }
    }
