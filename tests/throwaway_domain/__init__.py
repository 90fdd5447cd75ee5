"""A throwaway domain, `bookmarks`, that exists only in tests: proof that a domain is one
package and one registry entry. Nothing outside this package names it; the test adds it to a
registry of its own (tests/test_adding_a_domain.py)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import strawberry
from sqlalchemy import String, insert, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from db.base import TenantRow, new_metadata
from resolvers.domain import DemoTenant, Domain
from resolvers.permissions import requires
from resolvers.schema import subgraph_schema

VIEW = "bookmark:view"


class Base(DeclarativeBase):
    metadata = new_metadata()


class BookmarkRow(TenantRow, Base):
    __tablename__ = "bookmarks"
    __table_args__ = {"schema": "bookmarks"}

    title: Mapped[str] = mapped_column(String(200), nullable=False)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class User:
    id: strawberry.ID


@strawberry.type
class Bookmark:
    id: strawberry.ID
    title: str
    owner: User | None


@strawberry.type
class Query:
    @strawberry.field(extensions=requires(VIEW))
    async def bookmarks(self, info: strawberry.Info) -> list[Bookmark]:
        ctx = info.context
        rows = await ctx.db.rows(
            select(BookmarkRow.__table__)
            .where(BookmarkRow.tenant_id == ctx.tenant_id)
            .order_by(BookmarkRow.title)
        )
        return [
            Bookmark(
                id=strawberry.ID(str(row.id)),
                title=row.title,
                owner=User(id=strawberry.ID(str(row.owner_id))) if row.owner_id else None,
            )
            for row in rows
        ]


async def seed(session: AsyncSession, demo: DemoTenant) -> None:
    """One bookmark per user seeded before (identity's), owned by that user."""
    rows: list[dict[str, Any]] = [
        {"tenant_id": demo.tenant_id, "title": f"Runbook of {user['name']}", "owner_id": user["id"]}
        for user in demo.entities["User"]
    ]
    await session.execute(insert(BookmarkRow), rows)


DOMAIN = Domain(
    name="bookmarks",
    schema=subgraph_schema(query=Query, types=[User]),
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    permissions={VIEW: "read bookmarks"},
    grants={"viewer": frozenset({VIEW}), "admin": frozenset({VIEW})},
    seed=seed,
    cache_hints={"Bookmark": {"maxAge": 10}},
    event_kinds=frozenset({"bookmark.created"}),
    references={"User": (BookmarkRow.owner_id,)},
    pages={"bookmarks": Path(__file__).parent / "page"},
)
