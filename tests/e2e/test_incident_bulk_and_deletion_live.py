"""Live through the real server process: a large bulk update's progress streamed on
bulkUpdateProgress (the job runs in the server, its chunks committed one by one), and a
deleted incident leaving the incident subscriptions (its deletion delivers nothing; its
restore does)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from opsgraph.auth.issuer import DevIssuer
from tests.e2e.conftest import Server, issuer_of
from tests.e2e.ws import graphql, token, ws_client

BULK = """mutation($ids: [ID!]!) {
  bulkUpdateIncidents(ids: $ids, input: {priority: LOW}) { jobId total done } }"""
PROGRESS = """subscription($id: ID!) { bulkUpdateProgress(jobId: $id) {
  jobId total processed succeeded failed done results { id ok code } } }"""
EVENTS = "subscription { incidentEvents { kind incident { id title } } }"


@pytest.fixture(scope="module")
def admin(server: Server, server_env: dict[str, str]) -> str:
    issuer: DevIssuer = issuer_of(server, server_env)
    return token(issuer, "admin")


async def create(server: Server, admin: str, count: int, title: str) -> list[str]:
    """`count` incidents, 30 per request (the alias limit)."""
    ids: list[str] = []
    while len(ids) < count:
        batch = range(len(ids), min(count, len(ids) + 30))
        fields = " ".join(
            f'c{n}: createIncident(input: {{title: "{title} {n}"}}) {{ id }}' for n in batch
        )
        data = await graphql(server.graphql, f"mutation {{ {fields} }}", admin)
        ids.extend(data[f"c{n}"]["id"] for n in batch)
    return ids


async def test_a_large_batch_streams_its_progress(server: Server, admin: str) -> None:
    ids = [*await create(server, admin, 70, "Bulk live"), str(uuid.uuid4())]
    started = (await graphql(server.graphql, BULK, admin, ids=ids))["bulkUpdateIncidents"]
    assert (started["total"], started["done"]) == (71, False)
    messages: list[dict[str, Any]] = []
    async with ws_client(server.graphql, token=admin) as client:
        await client.subscribe("1", PROGRESS, {"id": started["jobId"]})
        while not (messages and messages[-1]["done"]):
            payload = await client.next_payload("1")
            messages.append(payload["data"]["bulkUpdateProgress"])
        completed = await client.receive()
        assert completed == {"id": "1", "type": "complete"}
    processed = [message["processed"] for message in messages]
    assert processed == sorted(set(processed)) and processed[-1] == 71
    last = messages[-1]
    assert (last["succeeded"], last["failed"]) == (70, 1)
    # Every id's result arrives exactly once across the messages, in order.
    results = [result for message in messages for result in message["results"]]
    assert [result["id"] for result in results] == ids
    assert results[-1] == {"id": ids[-1], "ok": False, "code": "NOT_FOUND"}


async def test_a_deleted_incident_leaves_the_subscriptions(server: Server, admin: str) -> None:
    gone, kept = await create(server, admin, 2, "Live delete")
    rename = """mutation($id: ID!, $title: String!) {
      updateIncident(id: $id, input: {title: $title}) { id } }"""
    async with ws_client(server.graphql, token=admin) as client:
        await client.subscribe("1", EVENTS)
        await asyncio.sleep(0.3)  # live before the changes commit
        await graphql(
            server.graphql,
            'mutation($id: ID!) { deleteIncident(id: $id, reason: "Duplicate entry") { id } }',
            admin,
            id=gone,
        )
        await graphql(server.graphql, rename, admin, id=kept, title="Still here")
        seen = []
        while True:
            event = (await client.next_payload("1"))["data"]["incidentEvents"]
            # (their creations may be relayed after the subscription started)
            if event["incident"]["id"] in (gone, kept) and event["kind"] != "CREATED":
                seen.append((event["kind"], event["incident"]["id"]))
            if seen and seen[-1][1] == kept:
                break
        assert seen == [("UPDATED", kept)]  # nothing of the deletion
        await graphql(
            server.graphql, "mutation($id: ID!) { restoreIncident(id: $id) { id } }", admin, id=gone
        )
        while True:
            event = (await client.next_payload("1"))["data"]["incidentEvents"]
            if event["incident"]["id"] == gone:
                assert event["kind"] == "RESTORED"
                break
