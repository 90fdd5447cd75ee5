"""The response cache never outranks permissions, in the real server process: an answer that
one set of permissions stored is never served to the same user holding fewer (a demoted user,
a token with no roles, a custom role without `incident:view`, a viewer without `pii:view`)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from opsgraph.auth.issuer import DevIssuer
from tests.e2e.conftest import Server, issuer_of

# PRIVATE (e-mail and phone) and permission-guarded (incidents need incident:view).
QUERY = (
    "{ incidents(filter: {unassigned: false}, pagination: {first: 2}) { edges { node { number "
    "assignee { name email phone } } } } }"
)


def post(server: Server, token: str, query: str = QUERY) -> dict[str, Any]:
    response = httpx.post(
        server.graphql,
        headers={"authorization": f"Bearer {token}"},
        json={"query": query},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def issuer(server: Server, server_env: dict[str, str]) -> DevIssuer:
    return issuer_of(server, server_env)


def token(issuer: DevIssuer, subject: str, roles: list[str]) -> str:
    return issuer.mint({"sub": subject, "tenant_id": "e2e", "roles": roles}, 600)


def admin_answer(server: Server, issuer: DevIssuer, subject: str) -> dict[str, Any]:
    """The admin's answer, read twice: the second one comes from the cache."""
    admin = token(issuer, subject, ["admin"])
    first = post(server, admin)
    assert "errors" not in first
    assert post(server, admin) == first
    emails = [e["node"]["assignee"]["email"] for e in first["data"]["incidents"]["edges"]]
    assert any(email and "*" not in email for email in emails)
    return first


def test_a_token_without_roles_is_refused_not_served_the_admins_answer(
    server: Server, issuer: DevIssuer
) -> None:
    subject = f"cache-{uuid.uuid4().hex}"
    admin_answer(server, issuer, subject)

    body = post(server, token(issuer, subject, []))

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


def test_a_custom_role_without_incident_view_is_refused(server: Server, issuer: DevIssuer) -> None:
    subject = f"cache-{uuid.uuid4().hex}"
    admin = token(issuer, subject, ["admin"])
    role = f"auditor-{uuid.uuid4().hex[:8]}"
    created = post(
        server,
        admin,
        f'mutation {{ createRole(input: {{name: "{role}", permissions: ["audit:view"]}}) '
        "{ name } }",
    )
    assert "errors" not in created, created
    admin_answer(server, issuer, subject)

    body = post(server, token(issuer, subject, [role]))

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


def test_a_demoted_viewer_sees_masked_personal_data(server: Server, issuer: DevIssuer) -> None:
    subject = f"cache-{uuid.uuid4().hex}"
    cached = admin_answer(server, issuer, subject)

    body = post(server, token(issuer, subject, ["viewer"]))

    assert "errors" not in body
    assert body != cached
    for edge in body["data"]["incidents"]["edges"]:
        assignee = edge["node"]["assignee"]
        if assignee is not None:
            assert assignee["email"] is None or "*" in assignee["email"]
