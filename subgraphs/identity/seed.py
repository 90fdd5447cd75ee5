"""The identity domain's demo data: teams, and users with their roles and team membership.

The users and teams go into `demo.entities` for the domains seeded after this one."""

from __future__ import annotations

import random
import uuid
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.domain import DemoTenant
from subgraphs.identity import tables

TEAMS = [
    ("Service Desk", "First line: takes calls, triages and routes."),
    ("Network Operations", "Routers, switches, firewalls, WAN and VPN."),
    ("Platform Engineering", "Kubernetes, virtualisation and storage."),
    ("Database Administration", "PostgreSQL and Oracle estates."),
    ("Identity & Access", "SSO, directory and accounts."),
    ("End User Computing", "Laptops, printers and mobile devices."),
]
FIRST = [
    "Ada",
    "Grace",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Radia",
    "Vint",
    "Frances",
    "Tim",
    "Hedy",
    "Alan",
    "Katherine",
    "Edsger",
    "Sophie",
    "Niklaus",
    "Anita",
    "John",
    "Mary",
    "Donald",
    "Lynn",
    "Bjarne",
    "Jean",
    "Guido",
    "Shafi",
    "Leslie",
    "Adele",
    "Ward",
    "Carol",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Perlman",
    "Cerf",
    "Allen",
    "Berners-Lee",
    "Lamarr",
    "Turing",
    "Johnson",
    "Dijkstra",
    "Wilson",
    "Wirth",
    "Borg",
    "McCarthy",
    "Keller",
    "Knuth",
    "Conway",
    "Stroustrup",
    "Sammet",
    "van Rossum",
    "Goldwasser",
    "Lamport",
    "Goldberg",
    "Cunningham",
    "Shaw",
]


async def seed(session: AsyncSession, demo: DemoTenant) -> None:
    tenant = demo.tenant_id
    users = _users(demo.random, tenant)
    teams = [
        {
            "id": uuid.UUID(int=demo.random.getrandbits(128)),
            "tenant_id": tenant,
            "name": name,
            "description": text,
        }
        for name, text in TEAMS
    ]
    members = [
        {"tenant_id": tenant, "team_id": teams[i % len(teams)]["id"], "user_id": user["id"]}
        for i, user in enumerate(users)
    ]
    for table, rows in ((tables.User, users), (tables.Team, teams), (tables.TeamMember, members)):
        await session.execute(insert(table), rows)
    demo.entities["User"] = users
    demo.entities["Team"] = teams


def _users(rnd: random.Random, tenant: uuid.UUID) -> list[dict[str, Any]]:
    users = []
    for i, (first, last) in enumerate(zip(FIRST, LAST, strict=True)):
        handle = f"{first}.{last}".lower().replace(" ", "").replace("-", "")
        users.append(
            {
                "id": uuid.UUID(int=rnd.getrandbits(128)),
                "tenant_id": tenant,
                "name": f"{first} {last}",
                "email": f"{handle}@demo.example",
                "phone": f"+1 555 01{i:02d}",
                "roles": ["admin"] if i == 0 else ["operator"] if i < 20 else ["viewer"],
            }
        )
    return users
