"""Managing webhooks: createWebhook (secret made and shown once), the SSRF refusals at
creation, every bad input refused with BAD_USER_INPUT and nothing written, updateWebhook
(rules, re-activation, a rotated secret), deleteWebhook, and another tenant seeing nothing."""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from db.tenants import create_tenant
from opsgraph.domains import REGISTRY
from tests.support import Subgraph
from tests.webhooks.conftest import CREATE

LIST = "{ webhooks { id url events active filter { field in } owner { id } } }"
GOOD = {"url": "http://127.0.0.1:9/hook", "events": ["incident.created"]}


async def refused(webhooks: Subgraph, input: dict[str, Any], code: str = "BAD_USER_INPUT") -> str:
    result = await webhooks.run(CREATE, input=input)
    (error,) = result["errors"]
    assert error["extensions"]["code"] == code, error
    assert (await webhooks.ok(LIST))["webhooks"] == []
    return str(error["message"])


@pytest.mark.parametrize(
    "url,reason",
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://10.0.0.1/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://localhost:8080/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://0.0.0.0/hook", "unspecified"),
    ],
)
async def test_private_targets_are_refused_at_creation(
    webhooks: Subgraph, monkeypatch: pytest.MonkeyPatch, url: str, reason: str
) -> None:
    monkeypatch.setenv("OPSGRAPH_WEBHOOK_ALLOW_PRIVATE", "false")
    message = await refused(webhooks, {**GOOD, "url": url})
    assert reason in message


BAD_INPUTS = {
    "not a URL": ({"url": "not a url"}, "http:// or https://"),
    "another scheme": ({"url": "ftp://127.0.0.1/x"}, "http:// or https://"),
    "no host": ({"url": "http:///path"}, "no host"),
    "credentials in the URL": ({"url": "http://u:p@127.0.0.1/x"}, "credentials"),
    "bad port": ({"url": "http://127.0.0.1:99999/x"}, "not a valid URL"),
    "host that does not resolve": ({"url": "http://no-such-host.invalid/x"}, "does not resolve"),
    "too long": ({"url": "http://127.0.0.1/" + "a" * 2100}, "at most"),
    "unknown event type": ({"events": ["incident.exploded"]}, "unknown event type"),
    "no event type": ({"events": []}, "at least one"),
    "filter on no field": ({"filter": [{"field": "", "in": ["x"]}]}, "field name"),
    "filter field with SQL": ({"filter": [{"field": "a'; DROP", "in": ["x"]}]}, "field name"),
    "filter with no values": ({"filter": [{"field": "status", "in": []}]}, "1 to 50"),
    "secret without prefix": ({"secret": "hunter2"}, "whsec_"),
    "secret too short": ({"secret": "whsec_" + base64.b64encode(b"x" * 8).decode()}, "24 to 64"),
    "secret not base64": ({"secret": "whsec_!!!!"}, "whsec_"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
async def test_bad_inputs_are_refused_and_nothing_is_written(webhooks: Subgraph, case: str) -> None:
    fields, expected = BAD_INPUTS[case]
    assert expected in await refused(webhooks, {**GOOD, **fields})


async def test_a_secret_is_made_returned_once_and_rotated(webhooks: Subgraph) -> None:
    created = (await webhooks.ok(CREATE, input=GOOD))["createWebhook"]
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    hook = created["webhook"]
    assert hook["events"] == ["incident.created"] and hook["active"] is True
    listed = (await webhooks.ok(LIST))["webhooks"]
    assert [h["id"] for h in listed] == [hook["id"]]
    assert secret not in str(listed)
    given = "whsec_" + base64.b64encode(b"k" * 32).decode()
    own = (await webhooks.ok(CREATE, input={**GOOD, "secret": given}))["createWebhook"]
    assert own["secret"] == given
    rotated = await webhooks.ok(
        "mutation($id: ID!) { updateWebhook(id: $id, input: {rotateSecret: true}) { secret } }",
        id=hook["id"],
    )
    assert rotated["updateWebhook"]["secret"] not in (None, secret)


async def test_update_changes_rules_and_delete_forgets(webhooks: Subgraph) -> None:
    hook = (await webhooks.ok(CREATE, input=GOOD))["createWebhook"]["webhook"]
    updated = await webhooks.ok(
        """mutation($id: ID!) { updateWebhook(id: $id, input: {events: ["incident.updated",
        "problem.created"], filter: [{field: "priority", in: ["CRITICAL", "HIGH"]}],
        active: false}) { secret webhook { events active filter { field in } } } }""",
        id=hook["id"],
    )
    assert updated["updateWebhook"] == {
        "secret": None,
        "webhook": {
            "events": ["incident.updated", "problem.created"],
            "active": False,
            "filter": [{"field": "priority", "in": ["CRITICAL", "HIGH"]}],
        },
    }
    bad = await webhooks.run(
        'mutation($id: ID!) { updateWebhook(id: $id, input: {events: ["nope"]}) { secret } }',
        id=hook["id"],
    )
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    delete = "mutation($id: ID!) { deleteWebhook(id: $id) }"
    assert (await webhooks.ok(delete, id=hook["id"]))["deleteWebhook"] == hook["id"]
    assert (await webhooks.ok(LIST))["webhooks"] == []
    again = await webhooks.run(delete, id=hook["id"])
    assert again["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    missing = await webhooks.run(
        "query($id: ID!) { webhookDeliveries(webhookId: $id) { totalCount } }", id=hook["id"]
    )
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_another_tenant_sees_and_changes_nothing(
    webhooks: Subgraph, owner_sessions: Any, new_context: Any
) -> None:
    hook = (await webhooks.ok(CREATE, input=GOOD))["createWebhook"]["webhook"]
    async with owner_sessions() as session, session.begin():
        other = await create_tenant(session, f"w-{uuid.uuid4().hex[:8]}", "Other")
    theirs = new_context(other)
    assert (await webhooks.ok(LIST, theirs))["webhooks"] == []
    seen = await webhooks.ok(
        "query($id: ID!) { webhook(id: $id) { id } }", new_context(other), id=hook["id"]
    )
    assert seen["webhook"] is None
    changed = await webhooks.run(
        "mutation($id: ID!) { updateWebhook(id: $id, input: {active: false}) { secret } }",
        new_context(other),
        id=hook["id"],
    )
    assert changed["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await webhooks.ok(LIST))["webhooks"][0]["active"] is True


def test_the_readme_lists_every_event_type() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    listed = readme.split("Event types (the `events` of a webhook)", 1)[1].split("\n\n", 1)[0]
    every = {kind for kinds in REGISTRY.event_catalogue.kinds.values() for kind in kinds}
    assert set(re.findall(r"`([a-z_]+\.[a-z_]+)`", listed)) == every
