"""The demo tenant's problems, with the other domains' demo data, through the router
in-process: the README's queries of the Problems section answer what it says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from db.tables import tenancy
from opsgraph.domains import REGISTRY
from opsgraph.seed import seed_demo
from resolvers.context import Context
from router.gateway import Gateway
from tests.subgraphs.problems.conftest import ok

README = Path(__file__).parents[3] / "README.md"


def readme_queries() -> list[str]:
    """The GraphQL examples of the README's Problems section, in order."""
    text = README.read_text()
    start = text.index("## Problems")
    section = text[start : text.index("\n## ", start)]
    return re.findall(r"```graphql\n(.*?)```", section, re.S)


async def test_the_demo_problems_answer_the_readme(
    owner_sessions: Any, sessions: Any, gateway: Gateway, entity_presence: Any
) -> None:
    # The demo's own slug, so its own data (the slug seeds the demo's choices): under any
    # other slug the titles fall otherwise, and once too few 502s fell in the last week for
    # the README's cluster. This database's in-process tests seed no other "demo".
    slug = "demo"
    async with owner_sessions() as session, session.begin():
        assert await seed_demo(session, slug=slug, scale=300)
        tenant_id = await session.scalar(
            select(tenancy.Tenant.id).where(tenancy.Tenant.slug == slug)
        )

    def admin() -> Context:
        principal = REGISTRY.roles.principal(tenant_id, frozenset({"admin"}))
        return Context.open(sessions, principal=principal, entity_presence=entity_presence)

    known, resolved, candidates = readme_queries()
    known_errors = (await ok(gateway, admin(), known))["knownErrors"]["edges"]
    problem = (await ok(gateway, admin(), resolved))["problemByNumber"]
    clusters = (await ok(gateway, admin(), candidates))["problemCandidates"]

    [vpn] = [edge["node"] for edge in known_errors]
    assert vpn["number"] == "PRB-1" and vpn["workaround"].startswith("Use the secondary")
    assert vpn["incidents"]["totalCount"] > 0
    assert all(
        e["node"]["title"] == "VPN drops every few minutes" for e in vpn["incidents"]["edges"]
    )
    assert (problem["status"], problem["resolutionCode"]) == ("RESOLVED", "FIX_APPLIED")
    released = [edge["node"] for edge in problem["incidents"]["edges"]]
    assert released and all(i["status"] in ("IN_PROGRESS", "RESOLVED", "CLOSED") for i in released)
    assert all(i["problem"] == {"number": "PRB-2"} for i in released)
    planted = [
        c
        for c in clusters
        if c["reason"] == "SIMILAR_TITLES" and c["title"] == "Website returns 502 errors"
    ]
    assert len(planted) == 1 and planted[0]["incidentCount"] >= 3
    assert all(i["title"] == "Website returns 502 errors" for i in planted[0]["incidents"])
    linked = {i["number"] for i in released} | {
        e["node"]["number"] for e in vpn["incidents"]["edges"]
    }
    assert not linked & {i["number"] for c in clusters for i in c["incidents"]}
