"""problems: a search finds its problems through an index, behind the tenant wall

Revision ID: problems_0003
Revises: problems_0002
Create Date: 2026-12-06 21:30:00

`problems(filter: {search: "..."})` read all of the tenant's problems: `@@` cannot use the
GIN index on `search` for the application role. `problem_search_tokens` holds each
problem's lexemes, kept by triggers, which a search looks problems up by first
(db/value_tokens.py). The GIN index goes: nothing could use it.
"""

from collections.abc import Sequence

from db.value_tokens import create, drop, search_tokens

revision: str = "problems_0003"
down_revision: str | None = "problems_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENS = search_tokens("problems", "problems", "problem_search_tokens")


def upgrade() -> None:
    create(TOKENS)


def downgrade() -> None:
    drop(TOKENS)
