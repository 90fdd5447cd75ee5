"""The wallboard page in headless Chromium, against the real server process: it lists the
open incidents by priority, an incident created through the API appears live, and resolving
it takes it off the board. The page runs under the server's own content security policy.

Chromium comes from Debian's `chromium` package (`make test` installs it when missing and
running as root); without it the test is skipped, except in CI, where that is a failure."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from opsgraph.auth.setup import dev_issuer
from opsgraph.settings import load_settings
from tests.e2e.chromium import CHROMIUM, Page, chromium
from tests.e2e.conftest import Server, seed_tenant

TENANT = "wallboard"  # a tenant of its own: other e2e tests count the e2e tenant's rows
OPEN_COUNT = """{ incidents(filter: {status: [OPEN, IN_PROGRESS, ON_HOLD]}) { totalCount } }"""
CREATE = """mutation($input: CreateIncidentInput!) {
  createIncident(input: $input) { id number priority status }
}"""
TRANSITION = """mutation($id: ID!, $input: TransitionIncidentInput!) {
  transitionIncident(id: $id, input: $input) { toStatus }
}"""


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: `make test` should have installed it")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium, or run `make test`)")
    with chromium() as opened:
        yield opened


@pytest.fixture(scope="module")
def operator_token(server: Server, server_env: dict[str, str], e2e_database_url: str) -> str:
    """An operator of the wallboard tenant, from the server's development issuer."""
    seed_tenant(e2e_database_url, TENANT, scale=30)
    port = str(urlsplit(server.url).port)
    settings = load_settings({**server_env, "OPSGRAPH_PORT": port})
    return dev_issuer(settings).mint(
        {"sub": "wallboard-test", "tenant_id": TENANT, "roles": ["operator"]}, 600
    )


def api(server: Server, token: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        server.graphql,
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def on_board(number: str) -> str:
    """JS: "PRIORITY STATUS" as shown for an incident number, or null when absent."""
    selector = json.dumps(f'li.incident[data-number="{number}"]')
    return (
        f"(() => {{ const li = document.querySelector({selector}); return li && "
        "`${li.closest('.priority').dataset.priority} ${li.dataset.status}`; })()"
    )


def test_incidents_appear_and_leave_live(page: Page, server: Server, operator_token: str) -> None:
    open_count = api(server, operator_token, OPEN_COUNT)["incidents"]["totalCount"]
    assert open_count > 0  # the seeded tenant has open incidents to show

    page.navigate(f"{server.url}/wallboard#token={operator_token}")
    page.wait_for("document.getElementById('connection').dataset.state === 'live'")
    page.wait_for(f"document.getElementById('count').textContent === '{open_count} open'")
    shown = page.evaluate(
        "[...document.querySelectorAll('section.priority')].map(s => "
        "[s.dataset.priority, [...s.querySelectorAll('li')].map(li => li.dataset.status)])"
    )
    assert [priority for priority, _ in shown] == ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
    statuses = [status for _, rows in shown for status in rows]
    assert len(statuses) == open_count
    assert set(statuses) <= {"OPEN", "IN_PROGRESS", "ON_HOLD"}

    title = f"Wallboard probe {uuid.uuid4().hex[:8]}"
    created = api(
        server,
        operator_token,
        CREATE,
        input={"title": title, "impact": "HIGH", "urgency": "HIGH"},
    )["createIncident"]
    assert created["priority"] == "CRITICAL"
    number = created["number"]
    assert page.wait_for(on_board(number)) == "CRITICAL OPEN"
    assert title in page.evaluate("document.body.innerText")
    page.wait_for(f"document.getElementById('count').textContent === '{open_count + 1} open'")

    api(server, operator_token, TRANSITION, id=created["id"], input={"status": "IN_PROGRESS"})
    page.wait_for(f"{on_board(number)} === 'CRITICAL IN_PROGRESS'")

    resolve = {"status": "RESOLVED", "resolutionCode": "FIXED", "resolutionNotes": "Reset it."}
    api(server, operator_token, TRANSITION, id=created["id"], input=resolve)
    page.wait_for(f"{on_board(number)} === null")
    page.wait_for(f"document.getElementById('count').textContent === '{open_count} open'")

    assert page.evaluate("window.__violations") == [], "content security policy refusals"
    assert not [line for line in page.log if "error" in line.lower()], page.log


def test_assets_are_served_without_a_cdn(server: Server) -> None:
    html = httpx.get(f"{server.url}/wallboard")
    assert html.status_code == 200 and "text/html" in html.headers["content-type"]
    assert "https://" not in html.text and "http://" not in html.text
    for asset in ("wallboard.js", "wallboard.css"):
        response = httpx.get(f"{server.url}/wallboard/static/{asset}")
        assert response.status_code == 200, asset
        assert "script-src 'self'" in response.headers["content-security-policy"]
    assert httpx.get(f"{server.url}/wallboard/static/nothing.js").status_code == 404


UPDATE = """mutation($id: ID!, $input: UpdateIncidentInput!) {
  updateIncident(id: $id, input: $input) { priority } }"""
PROPOSE = """mutation($id: ID!) { proposeMajorIncident(id: $id, reason: "All sites") { id } }"""
ACCEPT = "mutation($id: ID!) { acceptMajorIncident(id: $id) { major } }"


def card(number: str) -> str:
    """JS: where an incident's card is — its classes, its place in its column, and whether it
    is wholly inside the window without scrolling."""
    selector = json.dumps(f'li.incident[data-number="{number}"]')
    return (
        f"(() => {{ const li = document.querySelector({selector}); if (!li) return null; "
        "const r = li.getBoundingClientRect(); "
        "return {classes: li.className, index: [...li.parentNode.children].indexOf(li), "
        "visible: window.scrollY === 0 && r.top >= 0 && r.bottom <= window.innerHeight, "
        "major: li.textContent.includes('MAJOR')}; })()"
    )


def test_major_first_and_new_or_escalated_seen_without_scrolling(
    page: Page,
    server: Server,
    server_env: dict[str, str],
    operator_token: str,
) -> None:
    port = str(urlsplit(server.url).port)
    settings = load_settings({**server_env, "OPSGRAPH_PORT": port})
    admin_token = dev_issuer(settings).mint(
        {"sub": "wallboard-admin", "tenant_id": TENANT, "roles": ["admin"]}, 600
    )
    # A critical column taller than the window: a card added at its end would be below it.
    for n in range(14):
        api(server, operator_token, CREATE, input={"title": f"Filler {n}", "impact": "HIGH",
                                                   "urgency": "HIGH"})  # fmt: skip
    calm = api(server, operator_token, CREATE, input={"title": "Calm", "impact": "LOW"})
    page.call(
        "Emulation.setDeviceMetricsOverride",
        width=1400,
        height=900,
        deviceScaleFactor=1,
        mobile=False,
    )
    page.navigate("about:blank")  # the same URL again would be a same-document navigation
    page.navigate(f"{server.url}/wallboard#token={operator_token}")
    page.wait_for("document.getElementById('connection').dataset.state === 'live'")
    page.wait_for(f"{card(calm['createIncident']['number'])} !== null")
    assert page.evaluate(
        "document.querySelector('section[data-priority=\"CRITICAL\"]')"
        ".getBoundingClientRect().bottom > window.innerHeight"
    )

    critical = {"impact": "HIGH", "urgency": "HIGH"}
    new = api(server, operator_token, CREATE, input={"title": "Fresh", **critical})
    new = new["createIncident"]
    shown = page.wait_for(card(new["number"]))
    assert "fresh" in shown["classes"] and shown["visible"], shown

    api(server, operator_token, UPDATE, id=calm["createIncident"]["id"],
        input={"priority": "CRITICAL"})  # fmt: skip
    escalated = page.wait_for(
        f"(() => {{ const c = {card(calm['createIncident']['number'])}; "
        "return c && c.index === 0 && c; })()"
    )
    assert "fresh" in escalated["classes"] and escalated["visible"], escalated

    api(server, admin_token, PROPOSE, id=new["id"])
    api(server, admin_token, ACCEPT, id=new["id"])
    major = page.wait_for(
        f"(() => {{ const c = {card(new['number'])}; return c && c.major && c; }})()"
    )
    assert major["index"] == 0 and "major" in major["classes"] and major["visible"], major
    assert page.evaluate("window.__violations") == [], "content security policy refusals"
