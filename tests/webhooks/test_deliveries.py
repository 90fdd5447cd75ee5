"""Outbound webhook deliveries end to end in-process: an event committed by a real mutation,
fanned out by the consumer, delivered by the job queue's runner to a real HTTP receiver on
127.0.0.1, which verifies the Standard Webhooks signature; the retry schedule, `Retry-After`,
dead-lettering, redelivery, a runner restart in the middle of a retry, the SSRF check again
at delivery, event rules, PII masking by the owner's permissions and the tenant wall."""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

import pytest
import standardwebhooks
from sqlalchemy import insert

from db.tenants import create_tenant
from opsgraph.domains import REGISTRY
from opsgraph.jobs.runner import JobRunners
from resolvers.context import Context
from subgraphs.webhooks import tables
from tests.support import Subgraph
from tests.webhooks.conftest import (
    CREATE,
    CREATE_INCIDENT,
    DELIVERIES,
    delivery_rows,
    settled,
    until,
)
from tests.webhooks.receiver import Answer, Receiver


async def create_webhook(webhooks: Subgraph, url: str, **fields: Any) -> dict[str, Any]:
    data = await webhooks.ok(CREATE, input={"url": url, "events": ["incident.created"], **fields})
    return data["createWebhook"]  # type: ignore[no-any-return]


async def new_incident(incidents: Subgraph, fan_out: Any, title: str = "Disk full") -> str:
    data = await incidents.ok(CREATE_INCIDENT, title=title)
    await fan_out.drain()
    return data["createIncident"]["id"]  # type: ignore[no-any-return]


def verified(secret: str, request: Any) -> dict[str, Any]:
    return standardwebhooks.Webhook(secret).verify(request.body, request.headers)  # type: ignore[no-any-return]


async def test_a_signed_delivery_the_receiver_verifies(
    webhooks: Subgraph,
    incidents: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
) -> None:
    created = await create_webhook(webhooks, receiver.url(path))
    secret, hook = created["secret"], created["webhook"]
    assert secret.startswith("whsec_")
    incident = await new_incident(incidents, fan_out)
    await settled(owner_sessions, hook["id"])
    (request,) = receiver.at(path)
    payload = verified(secret, request)
    assert payload["type"] == "incident.created"
    assert payload["data"]["entityType"] == "Incident"
    assert payload["data"]["entityId"] == incident
    assert payload["data"]["entity"]["changes"]["title"] == [None, "Disk full"]
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)
    log = (await webhooks.ok(DELIVERIES, id=hook["id"]))["webhookDeliveries"]["edges"]
    (node,) = [edge["node"] for edge in log]
    assert request.headers["webhook-id"] == node["id"]
    assert (node["status"], node["attempts"], node["eventType"]) == (
        "DELIVERED",
        1,
        "incident.created",
    )
    (attempt,) = node["attemptLog"]
    assert (attempt["outcome"], attempt["statusCode"], attempt["responseExcerpt"]) == (
        "DELIVERED",
        200,
        "ok",
    )
    assert attempt["latencyMs"] is not None


async def test_retried_with_backoff_then_dead_lettered(
    webhooks: Subgraph,
    incidents: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPSGRAPH_WEBHOOK_RETRY_FOR_SECONDS", "1")
    receiver.script(path, Answer(status=503, body=b"down for maintenance"))
    hook = (await create_webhook(webhooks, receiver.url(path)))["webhook"]
    await new_incident(incidents, fan_out)
    (row,) = await settled(owner_sessions, hook["id"])
    assert row.status == "DEAD"
    times = [request.at for request in receiver.at(path)]
    assert len(times) == row.attempts >= 4
    # Exponential with jitter: the n-th wait is at least half of 50 ms * 2^(n-1).
    for n, (before, after) in enumerate(itertools.pairwise(times), start=1):
        assert after - before >= 0.5 * 0.05 * 2 ** (n - 1) * 0.9
    node = (await webhooks.ok(DELIVERIES, id=hook["id"]))["webhookDeliveries"]["edges"][0]["node"]
    assert [a["attempt"] for a in node["attemptLog"]] == list(range(1, row.attempts + 1))
    assert {a["statusCode"] for a in node["attemptLog"]} == {503}
    assert node["attemptLog"][0]["responseExcerpt"] == "down for maintenance"


async def test_a_client_error_is_dead_at_once_and_redelivered_on_request(
    webhooks: Subgraph,
    incidents: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
) -> None:
    receiver.script(path, Answer(status=410), Answer(status=200))
    created = await create_webhook(webhooks, receiver.url(path))
    hook = created["webhook"]
    await new_incident(incidents, fan_out)
    (row,) = await settled(owner_sessions, hook["id"])
    assert (row.status, row.attempts) == ("DEAD", 1)
    redelivered = await webhooks.ok(
        "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status } }", id=str(row.id)
    )
    assert redelivered["redeliverWebhook"]["status"] == "PENDING"
    await until(lambda: len(receiver.at(path)) == 2)
    (row,) = await settled(owner_sessions, hook["id"])
    await until(lambda: _status(owner_sessions, hook["id"], "DELIVERED"))
    first, second = receiver.at(path)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(row.id)
    verified(created["secret"], second)
    again = await webhooks.run(
        "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }", id=str(uuid.uuid4())
    )
    assert again["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def _status(owner_sessions: Any, hook_id: str, status: str) -> bool:
    rows = await delivery_rows(owner_sessions, hook_id)
    return bool(rows) and all(row.status == status for row in rows)


async def test_retry_after_is_honoured(
    webhooks: Subgraph,
    incidents: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
) -> None:
    receiver.script(
        path, Answer(status=429, headers={"Retry-After": "1"}), Answer(status=204, body=b"")
    )
    hook = (await create_webhook(webhooks, receiver.url(path)))["webhook"]
    await new_incident(incidents, fan_out)
    await until(lambda: _status(owner_sessions, hook["id"], "DELIVERED"))
    first, second = receiver.at(path)
    assert second.at - first.at >= 0.95  # the back-off alone would have waited ~50 ms


async def test_a_retry_survives_a_restart_of_the_runner(
    webhooks: Subgraph,
    incidents: Subgraph,
    fan_out: Any,
    database_url: str,
    sessions: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPSGRAPH_WEBHOOK_RETRY_BASE_MS", "600")
    receiver.script(path, Answer(status=502), Answer(status=200))
    hook = (await create_webhook(webhooks, receiver.url(path)))["webhook"]
    first = JobRunners(REGISTRY.jobs(["webhooks"]), poll_interval=0.05)
    await first.start(database_url, sessions)
    await new_incident(incidents, fan_out)
    await until(lambda: _status(owner_sessions, hook["id"], "RETRYING"))
    await first.stop()  # the process goes away while the delivery waits for its retry
    second = JobRunners(REGISTRY.jobs(["webhooks"]), poll_interval=0.05)
    await second.start(database_url, sessions)
    try:
        await until(lambda: _status(owner_sessions, hook["id"], "DELIVERED"))
    finally:
        await second.stop()
    assert len(receiver.at(path)) == 2


async def test_a_target_that_became_private_is_refused_at_delivery(
    webhooks: Subgraph,
    incidents: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hook = (await create_webhook(webhooks, receiver.url(path)))["webhook"]
    monkeypatch.setenv("OPSGRAPH_WEBHOOK_ALLOW_PRIVATE", "false")
    await new_incident(incidents, fan_out)
    (row,) = await settled(owner_sessions, hook["id"])
    assert row.status == "DEAD"
    assert "127.0.0.1" in row.last_error and "loopback" in row.last_error
    assert receiver.at(path) == []
    node = (await webhooks.ok(DELIVERIES, id=hook["id"]))["webhookDeliveries"]["edges"][0]["node"]
    assert [a["outcome"] for a in node["attemptLog"]] == ["REFUSED"]


async def test_event_rules_pick_the_events(
    webhooks: Subgraph,
    incidents: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
) -> None:
    disk = (
        await create_webhook(
            webhooks,
            receiver.url(path + "/disk"),
            filter=[
                {"field": "title", "in": ["Disk full", "Disk slow"]},
                {"field": "status", "in": ["OPEN"]},
            ],
        )
    )["webhook"]
    assigned = (
        await create_webhook(
            webhooks, receiver.url(path + "/assigned"), events=["incident.assigned"]
        )
    )["webhook"]
    await new_incident(incidents, fan_out, "Printer jam")
    await new_incident(incidents, fan_out, "Disk slow")
    (row,) = await settled(owner_sessions, disk["id"])
    assert row.body["data"]["entity"]["changes"]["title"][1] == "Disk slow"
    assert await delivery_rows(owner_sessions, assigned["id"]) == []


async def test_event_rules_on_priority_and_team(
    webhooks: Subgraph,
    incidents: Subgraph,
    identity: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
) -> None:
    """The issue's rule, "priority in CRITICAL, HIGH and team is Network": every incident
    event carries the incident's priority and team, changed or not."""
    network = (await identity.ok('mutation { createTeam(input: {name: "Network"}) { id } }'))[
        "createTeam"
    ]["id"]
    created = await create_webhook(
        webhooks,
        receiver.url(path),
        events=["incident.created", "incident.updated"],
        filter=[
            {"field": "priority", "in": ["CRITICAL", "HIGH"]},
            {"field": "teamId", "in": [network]},
        ],
    )
    hook = created["webhook"]
    create = """mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }"""

    async def incident(title: str, **fields: Any) -> str:
        data = await incidents.ok(create, input={"title": title, **fields})
        return data["createIncident"]["id"]  # type: ignore[no-any-return]

    routed = await incident("Core switch down", impact="HIGH", urgency="HIGH", teamId=network)
    await incident("Mail slow", impact="HIGH", urgency="HIGH")  # no team
    low = await incident("Port flapping", impact="LOW", urgency="LOW", teamId=network)
    await incidents.ok(
        "mutation($id: ID!) { updateIncident(id: $id, input: {priority: HIGH}) { id } }", id=low
    )
    await incidents.ok(  # still Network's, but no longer CRITICAL or HIGH
        'mutation($id: ID!) { updateIncident(id: $id, input: {description: "x", '
        "priority: LOW}) { id } }",
        id=routed,
    )
    await fan_out.drain()
    rows = await settled(owner_sessions, hook["id"], count=2)
    assert [row.status for row in rows] == ["DELIVERED", "DELIVERED"]
    sent = [verified(created["secret"], request) for request in receiver.at(path)]
    assert [(body["type"], body["data"]["entityId"]) for body in sent] == [
        ("incident.created", routed),
        ("incident.updated", low),
    ]
    assert sent[1]["data"]["entity"]["teamId"] == network
    assert sent[1]["data"]["entity"]["changes"]["priority"] == ["LOW", "HIGH"]


USER_EVENTS = {"events": ["user.created"]}
NEW_USER = """mutation($name: String!, $email: String!) { createUser(input: {name: $name,
  email: $email, phone: "+44 20 7946 0958"}) { id } }"""
SET_USER = """mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input)
  { id } }"""


async def owned_webhook(
    webhooks: Subgraph,
    identity: Subgraph,
    sessions: Any,
    tenant_id: uuid.UUID,
    fan_out: Any,
    url: str,
    roles: list[str],
) -> tuple[dict[str, Any], str]:
    """A webhook on `user.created` written by a real user of the tenant holding `roles`."""
    owner = (
        await identity.ok(
            """mutation($roles: [String!]!) { createUser(input: {name: "Owen",
            email: "owen@example.com", roles: $roles}) { id } }""",
            roles=roles,
        )
    )["createUser"]["id"]
    await fan_out.drain()  # the owner's own user.created is not the webhook's
    principal = REGISTRY.roles.principal(
        tenant_id, frozenset({"admin"}), user_id=uuid.UUID(owner), authenticated=True
    )
    context = Context.open(sessions, principal=principal)
    try:
        data = await webhooks.ok(CREATE, context, input={"url": url, **USER_EVENTS})
    finally:
        await context.close()
    return data["createWebhook"]["webhook"], owner


async def test_deliveries_apply_the_owners_current_permissions(
    webhooks: Subgraph,
    identity: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
    sessions: Any,
    tenant_id: uuid.UUID,
) -> None:
    """The owner's roles as they are when a delivery is sent: `pii:view` taken away from
    their role masks the next delivery; the owner deactivated stops the webhook."""
    role = (
        await identity.ok(
            """mutation { createRole(input: {name: "hook-owner",
            permissions: ["identity:view", "pii:view"]}) { id } }"""
        )
    )["createRole"]["id"]
    hook, owner = await owned_webhook(
        webhooks, identity, sessions, tenant_id, fan_out, receiver.url(path), ["hook-owner"]
    )

    async def new_user(name: str) -> None:
        await identity.ok(NEW_USER, name=name, email=f"{name.lower()}@example.com")
        await fan_out.drain()

    await new_user("Ann")
    await settled(owner_sessions, hook["id"], count=1)
    await identity.ok(
        'mutation($id: ID!) { updateRole(id: $id, input: {permissions: ["identity:view"]}) '
        "{ id } }",
        id=role,
    )
    await new_user("Bob")
    await settled(owner_sessions, hook["id"], count=2)
    plain, masked = (json.loads(request.body)["data"]["entity"] for request in receiver.at(path))
    assert plain["changes"]["email"] == [None, "ann@example.com"]
    assert plain["changes"]["phone"] == [None, "+44 20 7946 0958"]
    assert masked["changes"]["email"] == [None, "b***@example.com"]
    assert masked["changes"]["phone"][1].endswith("58")
    assert "7946" not in masked["changes"]["phone"][1]
    await identity.ok(SET_USER, id=owner, input={"active": False})
    await new_user("Cy")
    rows = await settled(owner_sessions, hook["id"], count=3)
    assert rows[2].status == "SKIPPED"
    assert "deactivated" in rows[2].last_error
    assert len(receiver.at(path)) == 2  # nothing sent for Cy
    shown = await webhooks.ok(
        "query($id: ID!) { webhook(id: $id) { active disabledReason } }", id=hook["id"]
    )
    assert shown["webhook"]["active"] is False
    assert f"its owner (user {owner}) is deactivated" in shown["webhook"]["disabledReason"]
    await new_user("Dee")
    assert len(await delivery_rows(owner_sessions, hook["id"])) == 3  # disabled: none queued


async def test_events_the_owner_may_not_see_are_not_sent(
    webhooks: Subgraph,
    identity: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
    sessions: Any,
    tenant_id: uuid.UUID,
) -> None:
    """An owner whose roles grant no `identity:view` is sent no user event (the delivery is
    SKIPPED with the reason); one without `pii:view` gets personal data masked."""
    blind, _ = await owned_webhook(
        webhooks, identity, sessions, tenant_id, fan_out, receiver.url(path), []
    )
    await identity.ok(NEW_USER, name="Ann", email="ann@example.com")
    await fan_out.drain()
    (row,) = await settled(owner_sessions, blind["id"])
    assert row.status == "SKIPPED"
    assert row.last_error == (
        "not sent: the webhook's owner may not see user.created events (needs identity:view)"
    )
    assert receiver.at(path) == []


async def test_a_webhook_carries_only_its_own_tenants_events(
    webhooks: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
    new_context: Any,
) -> None:
    hook = (await create_webhook(webhooks, receiver.url(path)))["webhook"]
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"o-{uuid.uuid4().hex[:8]}", "Other")
    other_incidents = Subgraph(REGISTRY.domain("incidents").schema, new_context)
    await other_incidents.ok(CREATE_INCIDENT, new_context(other), title="Theirs")
    await fan_out.drain()
    assert await delivery_rows(owner_sessions, hook["id"]) == []
    assert receiver.at(path) == []


async def test_an_endpoint_failing_too_long_is_disabled(
    webhooks: Subgraph,
    incidents: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPSGRAPH_WEBHOOK_DISABLE_AFTER_SECONDS", "0.3")
    receiver.script(path, Answer(status=500))
    hook = (await create_webhook(webhooks, receiver.url(path)))["webhook"]
    await new_incident(incidents, fan_out)
    await until(lambda: _status(owner_sessions, hook["id"], "DEAD"))
    shown = await webhooks.ok(
        "query($id: ID!) { webhook(id: $id) { active disabledReason failingSince } }", id=hook["id"]
    )
    assert shown["webhook"]["active"] is False
    assert "every delivery failed since" in shown["webhook"]["disabledReason"]
    await new_incident(incidents, fan_out, "After disabling")
    assert len(await delivery_rows(owner_sessions, hook["id"])) == 1  # inactive: no new delivery


async def test_redirects_are_not_followed(
    webhooks: Subgraph,
    incidents: Subgraph,
    fan_out: Any,
    deliveries: Any,
    receiver: Receiver,
    path: str,
    owner_sessions: Any,
) -> None:
    receiver.script(path, Answer(status=307, headers={"Location": receiver.url(path + "/moved")}))
    hook = (await create_webhook(webhooks, receiver.url(path)))["webhook"]
    await new_incident(incidents, fan_out)
    (row,) = await settled(owner_sessions, hook["id"])
    assert (row.status, row.attempts, row.last_error) == ("DEAD", 1, "HTTP 307")
    assert receiver.at(path + "/moved") == []


async def test_a_delivery_in_flight_is_not_redelivered(
    webhooks: Subgraph, owner_sessions: Any, tenant_id: uuid.UUID, receiver: Receiver, path: str
) -> None:
    hook = (await create_webhook(webhooks, receiver.url(path)))["webhook"]
    async with owner_sessions() as session, session.begin():
        delivery = await session.scalar(
            insert(tables.WebhookDelivery)
            .values(
                tenant_id=tenant_id,
                webhook_id=hook["id"],
                event_seq=1,
                event_kind="incident.created",
                entity_type="Incident",
                entity_id=uuid.uuid4(),
                body={},
                status="RETRYING",
            )
            .returning(tables.WebhookDelivery.id)
        )
    result = await webhooks.run(
        "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }", id=str(delivery)
    )
    assert result["errors"][0]["extensions"]["code"] == "CONFLICT"
    (row,) = await delivery_rows(owner_sessions, hook["id"])
    assert row.status == "RETRYING"
