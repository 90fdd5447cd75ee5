"""HTTPS and WSS with TLS 1.3 only (`OPSGRAPH_TLS_CERT`/`OPSGRAPH_TLS_KEY`), with a
certificate authority and server certificate the test makes (trustme): a TLS 1.3 client is
served over HTTP and WebSocket, a TLS 1.2-only client is refused, and the split router reaches
HTTPS subgraphs, checking their certificates with `OPSGRAPH_TLS_CA` (without it, it refuses
to start)."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from opsgraph.domains import REGISTRY
from tests.e2e.conftest import Server, issuer_of, start_server, start_servers, stop_server
from tests.e2e.test_subscriptions import CREATE, EVENTS
from tests.e2e.ws import token, ws_client
from tests.support import free_port

# The oldest: the seeded ones, with teams (other tests add incidents without).
CROSS_SUBGRAPH = """{ incidents(pagination: {first: 10}, orderBy: {direction: ASC}) {
  edges { node { number team { name } } } } }"""


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_env(
    authority: trustme.CA, server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The e2e settings plus a certificate for 127.0.0.1 and the CA that signed it."""
    folder = tmp_path_factory.mktemp("tls")
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    certificate.private_key_pem.write_to_path(str(folder / "key.pem"))
    certificate.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    authority.cert_pem.write_to_path(str(folder / "ca.pem"))
    return {
        **server_env,
        "OPSGRAPH_TLS_CERT": str(folder / "cert.pem"),
        "OPSGRAPH_TLS_KEY": str(folder / "key.pem"),
        "OPSGRAPH_TLS_CA": str(folder / "ca.pem"),
    }


@pytest.fixture(scope="module")
def tls_server(tls_env: dict[str, str]) -> Iterator[Server]:
    running = start_server(["serve"], tls_env, free_port())
    yield running
    stop_server(running)


def _client_context(authority: trustme.CA, version: ssl.TLSVersion) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    context.minimum_version = context.maximum_version = version
    return context


async def test_a_tls_13_client_is_served_over_https_and_wss(
    tls_server: Server, tls_env: dict[str, str], authority: trustme.CA
) -> None:
    context = _client_context(authority, ssl.TLSVersion.TLSv1_3)
    async with httpx.AsyncClient(verify=context) as http:
        answer = await http.post(tls_server.graphql, json={"query": CROSS_SUBGRAPH})
    assert answer.status_code == 200
    assert len(answer.json()["data"]["incidents"]["edges"]) == 10

    issuer = issuer_of(tls_server, tls_env)  # its tokens name https://… as their issuer
    assert tls_server.url.startswith("https://")
    async with ws_client(tls_server.graphql, token=token(issuer, "viewer"), ssl=context) as ws:
        await ws.subscribe("s", EVENTS, {"filter": {"search": "Encrypted"}})
        operator = token(issuer, "operator")
        async with httpx.AsyncClient(verify=context) as http:
            created = await http.post(
                tls_server.graphql,
                json={"query": CREATE, "variables": {"input": {"title": "Encrypted 1"}}},
                headers={"authorization": f"Bearer {operator}"},
            )
        assert created.json()["data"]["createIncident"]["number"]
        event = (await ws.next_payload("s"))["data"]["incidentEvents"]
        assert event["incident"]["title"] == "Encrypted 1"


def test_a_tls_12_client_is_refused(tls_server: Server, authority: trustme.CA) -> None:
    context = _client_context(authority, ssl.TLSVersion.TLSv1_2)
    port = int(tls_server.url.rsplit(":", 1)[1])
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        pytest.raises(ssl.SSLError),  # the server hangs up on the 1.2 ClientHello
    ):
        context.wrap_socket(raw, server_hostname="127.0.0.1")
    # ... while the same server speaks 1.3 on the same port.
    good = _client_context(authority, ssl.TLSVersion.TLSv1_3)
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        good.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.version() == "TLSv1.3"


@pytest.fixture(scope="module")
def https_subgraphs(
    tls_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """Every subgraph served alone over HTTPS; yields the router's subgraphs file."""
    ports = {name: free_port() for name in REGISTRY.names}
    config = tmp_path_factory.mktemp("https-split") / "subgraphs.toml"
    config.write_text(
        "".join(
            f'[subgraphs.{name}]\nurl = "https://127.0.0.1:{port}/graphql"\n'
            for name, port in ports.items()
        )
    )
    running = start_servers(
        [
            (["subgraph", name, "--port", str(port), "--peers", str(config)], tls_env, port)
            for name, port in ports.items()
        ]
    )
    yield config
    for server in running:
        stop_server(server)


def test_the_split_router_reaches_https_subgraphs_checking_their_certificates(
    https_subgraphs: Path, tls_env: dict[str, str]
) -> None:
    router = start_server(["router", "--config", str(https_subgraphs)], tls_env, free_port())
    try:
        answer = httpx.post(
            router.graphql,
            json={"query": CROSS_SUBGRAPH},
            verify=ssl.create_default_context(cafile=tls_env["OPSGRAPH_TLS_CA"]),
        ).json()
    finally:
        stop_server(router)
    assert "errors" not in answer, answer
    teams = [edge["node"]["team"] for edge in answer["data"]["incidents"]["edges"]]
    assert any(team and team["name"] for team in teams), answer  # identity's, over HTTPS


def test_the_split_router_refuses_subgraphs_whose_certificate_it_cannot_check(
    https_subgraphs: Path, tls_env: dict[str, str]
) -> None:
    env = {**os.environ, **tls_env, "OPSGRAPH_PORT": str(free_port())}
    del env["OPSGRAPH_TLS_CA"]  # the public roots only: the test's CA is unknown to them
    refused = subprocess.run(
        [sys.executable, "-m", "opsgraph.cli", "router", "--config", str(https_subgraphs)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == len(REGISTRY.names)
    assert all("CERTIFICATE_VERIFY_FAILED" in line for line in lines), refused.stderr
