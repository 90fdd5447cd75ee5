"""Two real server processes sharing one Redis (and one database): APQ documents and the
response cache are shared, a write through one process is never read stale through the
other, and a user deactivated through one is refused by the other."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from tests.e2e.conftest import Server, issuer_of, server_pair

TITLE = "query Title($id: ID!) { incident(id: $id) { id title } }"
RENAME = (
    "mutation Rename($id: ID!, $title: String!) "
    "{ updateIncident(id: $id, input: {title: $title}) { id title } }"
)


@pytest.fixture(scope="module")
def pair(server_env: dict[str, str], redis_url: str) -> Iterator[tuple[Server, Server]]:
    # Whether a user is active is cached for an hour here: only identity's event, delivered
    # over Redis, can make the other process refuse a deactivated user's token in time.
    env = {**server_env, "REDIS_URL": redis_url, "OPSGRAPH_ACTIVE_USER_CACHE_SECONDS": "3600"}
    with server_pair(env) as servers:
        yield servers


def get(server: Server, query: str | None, variables: Any = None, **extra: Any) -> httpx.Response:
    params = {k: orjson.dumps(v).decode() for k, v in extra.items()}
    if query is not None:
        params["query"] = query
    if variables is not None:
        params["variables"] = orjson.dumps(variables).decode()
    return httpx.get(server.graphql, params=params, timeout=30)


def title_of(server: Server, incident: str) -> str:
    response = get(server, TITLE, {"id": incident})
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["incident"]["title"])


def test_apq_documents_are_shared_through_redis(pair: tuple[Server, Server]) -> None:
    first, second = pair
    query = "{ incidents(pagination: {first: 3}) { totalCount } }"
    extensions = {
        "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
    }
    assert get(first, query, extensions=extensions).status_code == 200
    by_hash = get(second, None, extensions=extensions)
    assert by_hash.status_code == 200, by_hash.text
    assert "totalCount" in by_hash.json()["data"]["incidents"]


def test_a_write_through_one_process_is_not_read_stale_through_the_other(
    pair: tuple[Server, Server],
) -> None:
    first, second = pair
    listed = get(second, "{ incidents(pagination: {first: 1}) { edges { node { id } } } }")
    incident = listed.json()["data"]["incidents"]["edges"][0]["node"]["id"]
    before = title_of(second, incident)
    assert title_of(second, incident) == before  # now cached in the second process (and Redis)
    renamed = httpx.post(
        first.graphql,
        json={"query": RENAME, "variables": {"id": incident, "title": before + " (renamed)"}},
        timeout=30,
    )
    assert renamed.json()["data"]["updateIncident"]["title"] == before + " (renamed)"
    # The first process deleted the shared entries before answering; the second drops its
    # own copy when the announcement arrives over Redis pub/sub (milliseconds later). Without
    # invalidation it would serve the old title for the entry's 30 s.
    deadline = time.monotonic() + 5
    seen = title_of(second, incident)
    while seen == before and time.monotonic() < deadline:
        time.sleep(0.05)
        seen = title_of(second, incident)
    assert seen == before + " (renamed)"


def test_a_user_deactivated_through_one_process_is_refused_by_the_other(
    pair: tuple[Server, Server], server_env: dict[str, str]
) -> None:
    first, second = pair
    email = f"leaver-{uuid.uuid4().hex[:8]}@example.com"
    created = httpx.post(
        first.graphql,
        json={
            "query": 'mutation($e: String!) { createUser(input: {name: "L", email: $e}) { id } }',
            "variables": {"e": email},
        },
        timeout=30,
    )
    user = created.json()["data"]["createUser"]["id"]
    token = issuer_of(second, server_env).mint(
        {"sub": user, "tenant_id": "e2e", "roles": ["viewer"]}, 600
    )

    def status() -> int:
        headers = {"authorization": f"Bearer {token}"}
        query = {"query": "{ __typename }"}
        return httpx.post(second.graphql, json=query, headers=headers, timeout=30).status_code

    assert status() == 200  # the second process now caches the user as active, for an hour
    for active, expected in ((False, 401), (True, 200)):
        changed = httpx.post(
            first.graphql,
            json={
                "query": "mutation($id: ID!, $a: Boolean!) "
                "{ updateUser(id: $id, input: {active: $a}) { active } }",
                "variables": {"id": user, "a": active},
            },
            timeout=30,
        )
        assert changed.json() == {"data": {"updateUser": {"active": active}}}
        # The outbox event reaches the second process over Redis within milliseconds.
        deadline = time.monotonic() + 10
        seen = status()
        while seen != expected and time.monotonic() < deadline:
            time.sleep(0.05)
            seen = status()
        assert seen == expected


def test_a_role_changed_through_one_process_applies_in_the_other(
    pair: tuple[Server, Server], server_env: dict[str, str]
) -> None:
    first, second = pair
    name = f"triage-{uuid.uuid4().hex[:8]}"
    created = httpx.post(
        first.graphql,
        json={
            "query": "mutation($n: String!) "
            '{ createRole(input: {name: $n, permissions: ["incident:view"]}) { id } }',
            "variables": {"n": name},
        },
        timeout=30,
    )
    role = created.json()["data"]["createRole"]["id"]
    token = issuer_of(second, server_env).mint(
        {"sub": "partner-system", "tenant_id": "e2e", "roles": [name]}, 600
    )

    def codes() -> list[str]:
        response = httpx.post(
            second.graphql,
            json={"query": "{ incidents { totalCount } }"},
            headers={"authorization": f"Bearer {token}"},
            timeout=30,
        )
        return [error["extensions"]["code"] for error in response.json().get("errors", [])]

    assert codes() == []  # the second process now caches the tenant's roles (for 30 s)
    changed = httpx.post(
        first.graphql,
        json={
            "query": "mutation($id: ID!) { updateRole(id: $id, input: {permissions: []}) "
            "{ permissions } }",
            "variables": {"id": role},
        },
        timeout=30,
    )
    assert changed.json() == {"data": {"updateRole": {"permissions": []}}}
    # The role's event reaches the second process over Redis well before its cache expires.
    deadline = time.monotonic() + 10
    seen = codes()
    while seen != ["FORBIDDEN"] and time.monotonic() < deadline:
        time.sleep(0.05)
        seen = codes()
    assert seen == ["FORBIDDEN"]
