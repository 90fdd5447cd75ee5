"""Prometheus Alertmanager's alerts become incidents, against the real programs: Debian's
`prometheus-alertmanager` (fed through its own API, posting to the server's receiver) and the
real server process; plus direct posts for what Alertmanager cannot be made to do on cue
(concurrent duplicates, bad credentials, malformed bodies, a long delivery log).

Alertmanager comes from Debian's package (`make test` installs it when missing and running
as root); without it the Alertmanager tests skip, except in CI, where that is a failure."""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml

from opsgraph.auth.issuer import DevIssuer
from tests.e2e.conftest import Server, issuer_of
from tests.e2e.ws import graphql, token
from tests.support import free_port

ALERTMANAGER = Path("/usr/bin/prometheus-alertmanager")
RECEIVER = "/integrations/alertmanager"

CREATE = """mutation($input: CreateIntegrationInput!) {
  createIntegration(input: $input) { secret integration { id name webhookPath } }
}"""
UPDATE = """mutation($id: ID!, $input: UpdateIntegrationInput!) {
  updateIntegration(id: $id, input: $input) { id enabled }
}"""
DELIVERIES = """query($id: ID!) {
  integrationDeliveries(integrationId: $id) {
    statusCode payload outcome { created repeated reopened resolved noted duplicates }
  }
}"""
INCIDENTS = """query($filter: IncidentFilter) {
  incidents(filter: $filter, pagination: {first: 50}) {
    totalCount
    edges { node {
      id title status source externalId alertCount lastAlertAt reopenCount priority impact
      urgency resolutionCode parentId team { id } description
      comments { body visibility }
    } }
  }
}"""


@pytest.fixture(scope="module")
def admin(server: Server, server_env: dict[str, str]) -> str:
    issuer: DevIssuer = issuer_of(server, server_env)
    return token(issuer, "admin")


async def create_integration(server: Server, admin: str, **input: Any) -> tuple[str, str]:
    data = await graphql(server.graphql, CREATE, admin, input={"kind": "ALERTMANAGER", **input})
    created = data["createIntegration"]
    assert created["integration"]["webhookPath"] == RECEIVER
    return created["integration"]["id"], created["secret"]


async def incidents(server: Server, admin: str, **filter: Any) -> list[dict[str, Any]]:
    data = await graphql(server.graphql, INCIDENTS, admin, filter=filter)
    return [edge["node"] for edge in data["incidents"]["edges"]]


async def deliveries(server: Server, admin: str, integration: str) -> list[dict[str, Any]]:
    data = await graphql(server.graphql, DELIVERIES, admin, id=integration)
    return data["integrationDeliveries"]  # type: ignore[no-any-return]


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 20) -> Any:
    """Poll `check` until it answers something truthy (Alertmanager flushes on its own
    schedule), failing with its last answer after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        answer = await check()
        if answer or time.monotonic() > deadline:
            assert answer, f"not reached in {timeout} s: {answer!r}"
            return answer
        await asyncio.sleep(0.1)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def payload(
    *alerts: dict[str, Any], status: str = "firing", group_key: str = "{}:{}"
) -> dict[str, Any]:
    return {
        "version": "4",
        "status": status,
        "receiver": "opsgraph",
        "groupKey": group_key,
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example",
        "truncatedAlerts": 0,
        "alerts": list(alerts),
    }


def alert(
    fingerprint: str, starts: str = "2026-01-01T00:00:00Z", status: str = "firing", **labels: str
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "DiskFull", **labels},
        "annotations": {"summary": "disk full"},
        "startsAt": starts,
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-01-01T01:00:00Z",
        "generatorURL": "http://prometheus.example/graph",
        "fingerprint": fingerprint,
    }


# --- Against the real Alertmanager --------------------------------------------------------


class Alertmanager:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log

    async def post(self, *alerts: dict[str, Any]) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.post(f"{self.url}/api/v2/alerts", json=list(alerts))
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def receivers(server: Server, admin: str) -> dict[str, tuple[str, str]]:
    """The integrations Alertmanager posts to, one per receiver (routed by the `scenario`
    label): per alert with AUTO_RESOLVE (the `batch` service ignores recoveries), per group,
    and NOTE_ONLY."""

    async def make() -> dict[str, tuple[str, str]]:
        suffix = os.urandom(3).hex()
        return {
            "auto": await create_integration(
                server,
                admin,
                name=f"am-auto-{suffix}",
                mapping={"recoveryByService": [{"value": "batch", "recoveryPolicy": "IGNORE"}]},
            ),
            "group": await create_integration(
                server, admin, name=f"am-group-{suffix}", groupBy="GROUP"
            ),
            "note": await create_integration(
                server, admin, name=f"am-note-{suffix}", recoveryPolicy="NOTE_ONLY"
            ),
        }

    return asyncio.run(make())


@pytest.fixture(scope="module")
def alertmanager(server: Server, receivers: dict[str, tuple[str, str]]) -> Iterator[Alertmanager]:
    if not ALERTMANAGER.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{ALERTMANAGER} is missing in CI: `make test` should have installed it")
        pytest.skip(f"{ALERTMANAGER} is missing (apt-get install prometheus-alertmanager)")
    timing = {"group_wait": "100ms", "group_interval": "1s", "repeat_interval": "2s"}
    config = {
        "route": {
            "receiver": "auto",
            "group_by": ["..."],  # each alert its own group
            **timing,
            "routes": [
                {
                    "receiver": name,
                    "matchers": [f'scenario="{name}"'],
                    "group_by": ["cluster"] if name == "group" else ["..."],
                    **timing,
                }
                for name in receivers
            ],
        },
        "receivers": [
            {
                "name": name,
                "webhook_configs": [
                    {
                        "url": f"{server.url}{RECEIVER}",
                        "send_resolved": True,
                        "http_config": {"authorization": {"credentials": secret}},
                    }
                ],
            }
            for name, (_, secret) in receivers.items()
        ],
    }
    with tempfile.TemporaryDirectory(prefix="opsgraph-alertmanager-") as directory:
        path = Path(directory)
        (path / "alertmanager.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        log = path / "alertmanager.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    str(ALERTMANAGER),
                    f"--config.file={path / 'alertmanager.yml'}",
                    f"--storage.path={path / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--cluster.listen-address=",
                    "--log.level=warn",
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"alertmanager exited:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"alertmanager not ready:\n{log.read_text()}")
            time.sleep(0.1)
        try:
            yield Alertmanager(url, process, log)
        finally:
            process.terminate()
            process.wait(10)


def am_alert(name: str, scenario: str, *, ends: datetime | None = None, **labels: str) -> dict:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": name, "scenario": scenario, **labels},
        "annotations": {"summary": f"{name} is failing", "runbook_url": "https://runbooks/x"},
        "startsAt": stamp(now - timedelta(seconds=1)),
        **({"endsAt": stamp(ends)} if ends else {}),
        "generatorURL": "http://prometheus.example/graph",
    }


async def test_firing_repeat_resolve_and_flap_reopen(
    server: Server, admin: str, alertmanager: Alertmanager, receivers: dict[str, tuple[str, str]]
) -> None:
    name = f"Disk{os.urandom(3).hex()}"
    firing = am_alert(name, "auto", severity="critical")
    await alertmanager.post(firing)

    async def opened() -> list[dict[str, Any]]:
        return await incidents(server, admin, search=name)

    [incident] = await eventually(opened)
    assert incident["source"] == "MONITORING"
    assert incident["status"] == "OPEN"
    assert incident["title"] == f"{name}: {name} is failing"
    assert (incident["impact"], incident["urgency"], incident["priority"]) == (
        "HIGH",
        "HIGH",
        "CRITICAL",
    )
    assert "Runbook: https://runbooks/x" in incident["description"]
    assert incident["alertCount"] == 1 and incident["lastAlertAt"]

    # Alertmanager repeats the unchanged notification every 2 s: counted once.
    integration = receivers["auto"][0]

    async def repeated() -> bool:
        return any(d["outcome"]["duplicates"] for d in await deliveries(server, admin, integration))

    await eventually(repeated)
    [same] = await incidents(server, admin, externalId=incident["externalId"])
    assert same["alertCount"] == 1

    # Resolved: AUTO_RESOLVE with the resolution code and a work note of the alert's times.
    await alertmanager.post({**firing, "endsAt": stamp(datetime.now(UTC))})

    async def resolved() -> dict[str, Any] | None:
        [row] = await incidents(server, admin, externalId=incident["externalId"])
        return row if row["status"] == "RESOLVED" else None

    row = await eventually(resolved)
    assert row["resolutionCode"] == "FIXED"
    assert any(
        c["visibility"] == "WORK_NOTE" and "The alert fired at" in c["body"]
        for c in row["comments"]
    )

    # Fires again within the flap window: the same incident reopens and counts the firing.
    await alertmanager.post(am_alert(name, "auto", severity="critical"))

    async def reopened() -> dict[str, Any] | None:
        rows = await incidents(server, admin, externalId=incident["externalId"])
        return rows[0] if len(rows) == 1 and rows[0]["status"] == "IN_PROGRESS" else None

    row = await eventually(reopened)
    assert row["id"] == incident["id"]
    assert (row["reopenCount"], row["alertCount"]) == (1, 2)


async def test_ignored_recovery_for_an_overridden_service(
    server: Server, admin: str, alertmanager: Alertmanager, receivers: dict[str, tuple[str, str]]
) -> None:
    name = f"Batch{os.urandom(3).hex()}"
    firing = am_alert(name, "auto", service="batch")
    await alertmanager.post(firing)
    [incident] = await eventually(lambda: incidents(server, admin, search=name))
    await alertmanager.post({**firing, "endsAt": stamp(datetime.now(UTC))})
    integration = receivers["auto"][0]

    async def recovery_received() -> bool:
        return any(
            '"status":"resolved"' in d["payload"] and name in d["payload"]
            for d in await deliveries(server, admin, integration)
        )

    await eventually(recovery_received)
    [row] = await incidents(server, admin, externalId=incident["externalId"])
    assert row["status"] == "OPEN" and not row["comments"]


async def test_note_only_and_a_repeat_firing_counts(
    server: Server, admin: str, alertmanager: Alertmanager
) -> None:
    name = f"Cpu{os.urandom(3).hex()}"
    firing = am_alert(name, "note", severity="warning")
    await alertmanager.post(firing)
    [incident] = await eventually(lambda: incidents(server, admin, search=name))
    assert incident["priority"] == "MEDIUM"
    await alertmanager.post({**firing, "endsAt": stamp(datetime.now(UTC))})

    async def noted() -> dict[str, Any] | None:
        [row] = await incidents(server, admin, externalId=incident["externalId"])
        return row if row["comments"] else None

    row = await eventually(noted)
    assert row["status"] == "OPEN"  # people close it
    assert "The alert fired at" in row["comments"][0]["body"]
    # A new firing of the alert: the open incident counts it.
    await alertmanager.post(am_alert(name, "note", severity="warning"))

    async def counted() -> dict[str, Any] | None:
        rows = await incidents(server, admin, externalId=incident["externalId"])
        return rows[0] if len(rows) == 1 and rows[0]["alertCount"] == 2 else None

    await eventually(counted)


async def test_grouping_by_group_key(
    server: Server, admin: str, alertmanager: Alertmanager
) -> None:
    cluster = f"c{os.urandom(3).hex()}"
    alerts = [am_alert(f"Node{n}{cluster}", "group", cluster=cluster) for n in range(3)]
    await alertmanager.post(*alerts)

    async def grouped() -> list[dict[str, Any]] | None:
        rows = await incidents(server, admin, search=cluster)
        parents = [row for row in rows if row["externalId"].startswith("group:")]
        children = [row for row in rows if row["parentId"]]
        return rows if len(parents) == 1 and len(children) == 3 else None

    rows = await eventually(grouped)
    [parent] = [row for row in rows if row["externalId"].startswith("group:")]
    assert parent["alertCount"] == 3
    assert all(row["parentId"] == parent["id"] for row in rows if row is not parent)
    assert len(await incidents(server, admin, parentId=parent["id"])) == 3
    now = stamp(datetime.now(UTC))
    await alertmanager.post(*({**a, "endsAt": now} for a in alerts))

    async def all_resolved() -> bool:
        rows = await incidents(server, admin, search=cluster)
        return len(rows) == 4 and all(row["status"] == "RESOLVED" for row in rows)

    await eventually(all_resolved)


# --- Direct posts ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def direct(server: Server, admin: str) -> tuple[str, str]:
    return asyncio.run(create_integration(server, admin, name=f"direct-{os.urandom(3).hex()}"))


async def post(server: Server, body: Any, secret: str | None, **kwargs: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {secret}"} if secret else {}
    async with httpx.AsyncClient(timeout=30) as http:
        if isinstance(body, bytes):
            headers["content-type"] = "application/json"
            return await http.post(f"{server.url}{RECEIVER}", content=body, headers=headers)
        return await http.post(f"{server.url}{RECEIVER}", json=body, headers=headers)


async def test_concurrent_posts_and_retries_dedupe_with_counts(
    server: Server, admin: str, direct: tuple[str, str]
) -> None:
    fingerprint = os.urandom(8).hex()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # Ten distinct firings of one alert, each posted three times (Alertmanager's retries),
    # all at once.
    bodies = [
        payload(alert(fingerprint, stamp(start + timedelta(minutes=n)))) for n in range(10)
    ] * 3
    answers = await asyncio.gather(*(post(server, body, direct[1]) for body in bodies))
    assert [answer.status_code for answer in answers] == [200] * 30, answers[0].text
    rows = await incidents(server, admin, externalId=fingerprint)
    assert len(rows) == 1
    assert rows[0]["alertCount"] == 10
    outcomes = [answer.json() for answer in answers]
    assert sum(o["created"] for o in outcomes) == 1
    assert sum(o["repeated"] for o in outcomes) == 9
    assert sum(o["duplicates"] for o in outcomes) == 20


async def test_the_incidents_subgraph_served_alone_receives_alerts(
    server: Server, subgraph_servers: dict[str, Server], admin: str, direct: tuple[str, str]
) -> None:
    """Split deployment: Alertmanager posts to the process serving the incidents domain."""
    alone = subgraph_servers["incidents"]
    fingerprint = os.urandom(8).hex()
    body = payload(alert(fingerprint, stamp(datetime(2026, 2, 1, tzinfo=UTC))))
    assert (await post(alone, body, "ogi_not-a-secret")).status_code == 401
    answer = await post(alone, body, direct[1])
    assert answer.status_code == 200, answer.text
    rows = await incidents(server, admin, externalId=fingerprint)
    assert [(row["source"], row["alertCount"]) for row in rows] == [("MONITORING", 1)]


CREATE_CI = """mutation($input: CreateConfigurationItemInput!) {
  createConfigurationItem(input: $input) { id } }"""
CI_OF = """query($filter: IncidentFilter) { incidents(filter: $filter) { edges { node {
  externalId ci { id } } } } }"""


async def test_an_alert_label_names_the_incidents_configuration_item(
    server: Server, admin: str, e2e_database_url: str
) -> None:
    """`ciLabel`: the label's value matched to a CI's external id or name, through the
    incidents domain's read model of the CMDB's events (the server runs its consumer)."""
    tag = os.urandom(3).hex()
    _, secret = await create_integration(
        server, admin, name=f"ci-{tag}", mapping={"ciLabel": "instance"}
    )

    async def ci(**input: Any) -> str:
        data = await graphql(
            server.graphql, CREATE_CI, admin, input={"className": "Server", **input}
        )
        return data["createConfigurationItem"]["id"]  # type: ignore[no-any-return]

    by_name = await ci(name=f"db-{tag}")
    by_external_id = await ci(name=f"shop-{tag}", source="netbox", externalId=f"nb-{tag}")
    retired = await ci(name=f"old-{tag}")
    await graphql(
        server.graphql,
        "mutation($id: ID!) { retireConfigurationItem(id: $id) { id } }",
        admin,
        id=retired,
    )

    async def known() -> bool:
        conn = await asyncpg.connect(e2e_database_url)
        try:
            rows = await conn.fetch(
                "SELECT ci_id, retired FROM incidents.ci_names WHERE ci_id = ANY($1::uuid[])",
                [by_name, by_external_id, retired],
            )
        finally:
            await conn.close()
        return {(str(row["ci_id"]), row["retired"]) for row in rows} == {
            (by_name, False),
            (by_external_id, False),
            (retired, True),
        }

    await eventually(known)
    prints = {value: os.urandom(8).hex() for value in ("name", "external", "retired", "none")}
    alerts = [
        alert(prints["name"], instance=f"DB-{tag}:9100"),  # case folded, port dropped
        alert(prints["external"], instance=f"nb-{tag}"),
        alert(prints["retired"], instance=f"old-{tag}"),
        alert(prints["none"], instance=f"nowhere-{tag}"),
    ]
    answer = await post(server, payload(*alerts), secret)
    assert answer.status_code == 200, answer.text
    found = {}
    for value, fingerprint in prints.items():
        data = await graphql(server.graphql, CI_OF, admin, filter={"externalId": fingerprint})
        (edge,) = data["incidents"]["edges"]
        found[value] = (edge["node"]["ci"] or {}).get("id")
    assert found == {"name": by_name, "external": by_external_id, "retired": None, "none": None}


async def test_wrong_or_missing_credentials_are_refused_and_write_nothing(
    server: Server, admin: str, direct: tuple[str, str]
) -> None:
    integration, secret = direct
    before = len(await deliveries(server, admin, integration))
    fingerprint = os.urandom(8).hex()
    body = payload(alert(fingerprint))
    disabled_id, disabled = await create_integration(
        server, admin, name=f"off-{os.urandom(3).hex()}"
    )
    await graphql(server.graphql, UPDATE, admin, id=disabled_id, input={"enabled": False})
    for credential in (
        None,
        "not-ours",
        secret[:-4] + "AAAA",  # the right ids, the wrong secret
        disabled,
    ):
        answer = await post(server, body, credential)
        assert answer.status_code == 401, (credential, answer.text)
        assert answer.json()["error"]["code"] == "UNAUTHENTICATED"
    assert await incidents(server, admin, externalId=fingerprint) == []
    assert len(await deliveries(server, admin, integration)) == before
    assert await deliveries(server, admin, disabled_id) == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "is not of type"),
        ({**payload(alert("f1")), "version": "3"}, "version"),
        ({k: v for k, v in payload(alert("f1")).items() if k != "alerts"}, "alerts"),
        (payload({**alert("f1"), "startsAt": "yesterday"}), "startsAt"),
        (payload({k: v for k, v in alert("f1").items() if k != "fingerprint"}), "fingerprint"),
        (payload({**alert("f1"), "status": "pending"}), "status"),
        (payload({**alert("f1"), "labels": {"alertname": 7}}), "labels"),
    ],
    ids=[
        "not JSON",
        "not an object",
        "version 3",
        "no alerts",
        "bad time",
        "no fingerprint",
        "unknown status",
        "non-string label",
    ],
)
async def test_malformed_payloads_are_400_with_the_reason_and_write_nothing(
    server: Server, admin: str, direct: tuple[str, str], body: Any, reason: str
) -> None:
    integration, secret = direct
    before = len(await deliveries(server, admin, integration))
    answer = await post(server, body, secret)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "BAD_REQUEST" and reason in error["message"]
    assert "Traceback" not in answer.text
    assert len(await deliveries(server, admin, integration)) == before
    assert await incidents(server, admin, externalId="f1") == []


async def test_the_delivery_log_keeps_the_last_100(server: Server, admin: str) -> None:
    integration, secret = await create_integration(server, admin, name=f"log-{os.urandom(3).hex()}")
    body = payload(alert(os.urandom(8).hex()))
    for _ in range(103):
        assert (await post(server, body, secret)).status_code == 200
    logged = await deliveries(server, admin, integration)
    assert len(logged) == 100
    assert all(d["statusCode"] == 200 for d in logged)
    assert [d["outcome"]["duplicates"] for d in logged] == [1] * 100  # the first is gone


CREATE_ERRORS = [
    ({"name": ""}, "BAD_USER_INPUT"),
    ({"name": "x" * 101}, "BAD_USER_INPUT"),
    ({"name": "ok", "flapWindowMinutes": -1}, "BAD_USER_INPUT"),
    ({"name": "ok", "flapWindowMinutes": 1441}, "BAD_USER_INPUT"),
    ({"name": "ok", "mapping": {"severityLabel": ""}}, "BAD_USER_INPUT"),
    ({"name": "ok", "mapping": {"ciLabel": ""}}, "BAD_USER_INPUT"),
    ({"name": "ok", "mapping": {"ciLabel": "x" * 101}}, "BAD_USER_INPUT"),
    ({"name": "ok", "mapping": {"teams": [{"value": "a", "teamId": "nope"}]}}, "BAD_USER_INPUT"),
    (
        {
            "name": "ok",
            "mapping": {
                "teams": [{"value": "a", "teamId": "00000000-0000-4000-8000-000000000000"}]
            },
        },
        "NOT_FOUND",
    ),
]


async def test_integration_bad_inputs_and_permissions(
    server: Server, server_env: dict[str, str], admin: str, direct: tuple[str, str]
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:

        async def run(query: str, who: str, **variables: Any) -> dict[str, Any]:
            response = await http.post(
                server.graphql,
                json={"query": query, "variables": variables},
                headers={"authorization": f"Bearer {who}"},
            )
            return response.json()  # type: ignore[no-any-return]

        for input, code in CREATE_ERRORS:
            body = await run(CREATE, admin, input={"kind": "ALERTMANAGER", **input})
            assert body["errors"][0]["extensions"]["code"] == code, (input, body)
        taken = await run(CREATE, admin, input={"kind": "ALERTMANAGER", "name": "dup-x"})
        assert "errors" not in taken
        again = await run(CREATE, admin, input={"kind": "ALERTMANAGER", "name": "dup-x"})
        assert again["errors"][0]["extensions"]["code"] == "CONFLICT"
        missing = await run(UPDATE, admin, id="00000000-0000-4000-8000-000000000000", input={})
        assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        # integration:admin is the admin role's alone.
        issuer = issuer_of(server, server_env)
        for role in ("viewer", "operator"):
            who = token(issuer, role)
            for query, variables in (
                (CREATE, {"input": {"kind": "ALERTMANAGER", "name": "nope"}}),
                ("{ integrations { id } }", {}),
                (DELIVERIES, {"id": direct[0]}),
            ):
                body = await run(query, who, **variables)
                assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, body)
