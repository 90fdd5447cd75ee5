"""problems: problems, their comments, history and affected CIs, the per-tenant numbers, the
links to incidents and the read model of incidents

Revision ID: problems_0001
Revises:
Create Date: 2026-12-05 16:00:00

Every table is walled (db/walls.py), the per-tenant counter `problem_numbers` and the read
model `incident_facts` included. pg_trgm (a trusted extension: the database owner may create
it) is installed in the schema for problem candidates' title similarity.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db.walls import drop_schema, open_schema, unwall, wall

revision: str = "problems_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("problems",)
depends_on: str | Sequence[str] | None = ("core_0001",)

SCHEMA = "problems"
TABLES = (
    "problems.problems",
    "problems.problem_comments",
    "problems.problem_changes",
    "problems.problem_affected_cis",
    "problems.problem_incidents",
    "problems.problem_numbers",
    "problems.incident_facts",
)


def upgrade() -> None:
    open_schema(SCHEMA)
    op.execute(f"CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA {SCHEMA}")
    op.create_table(
        "incident_facts",
        sa.Column("incident_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("ci_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_facts")),
        sa.UniqueConstraint("tenant_id", "incident_id", name="uq_incident_facts_incident"),
        schema="problems",
    )
    op.create_index(
        "ix_incident_facts_opened",
        "incident_facts",
        ["tenant_id", "opened_at"],
        unique=False,
        schema="problems",
    )
    op.create_table(
        "problem_affected_cis",
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("ci_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_affected_cis")),
        sa.UniqueConstraint("problem_id", "ci_id", name="uq_problem_affected_cis_problem_ci"),
        schema="problems",
    )
    op.create_index(
        "ix_problem_affected_cis_ci",
        "problem_affected_cis",
        ["tenant_id", "ci_id"],
        unique=False,
        schema="problems",
    )
    op.create_table(
        "problem_changes",
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_changes")),
        schema="problems",
    )
    op.create_index(
        "ix_problem_changes_problem",
        "problem_changes",
        ["problem_id", "created_at", "id"],
        unique=False,
        schema="problems",
    )
    op.create_table(
        "problem_comments",
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "visibility IN ('WORK_NOTE','PUBLIC')",
            name=op.f("ck_problem_comments_visibility_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_comments")),
        schema="problems",
    )
    op.create_index(
        "ix_problem_comments_problem",
        "problem_comments",
        ["problem_id", "created_at", "id"],
        unique=False,
        schema="problems",
    )
    op.create_table(
        "problem_incidents",
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("incident_id", sa.UUID(), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_incidents")),
        sa.UniqueConstraint("tenant_id", "incident_id", name="uq_problem_incidents_incident"),
        schema="problems",
    )
    op.create_index(
        "ix_problem_incidents_problem",
        "problem_incidents",
        ["tenant_id", "problem_id", "created_at", "id"],
        unique=False,
        schema="problems",
    )
    op.create_table(
        "problem_numbers",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_problem_numbers")),
        schema="problems",
    )
    op.create_table(
        "problems",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("priority_overridden", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("impact", sa.String(length=8), nullable=False),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("assignee_id", sa.UUID(), nullable=True),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("ci_id", sa.UUID(), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("cause_code", sa.String(length=100), nullable=True),
        sa.Column("root_cause_ci_id", sa.UUID(), nullable=True),
        sa.Column("resolution_code", sa.String(length=16), nullable=True),
        sa.Column("resolution_notes", sa.Text(), nullable=True),
        sa.Column("known_error", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("symptom", sa.Text(), nullable=True),
        sa.Column("workaround", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=100), nullable=True),
        sa.Column("known_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("workaround_published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed(
                "to_tsvector('english'::regconfig, (title::text || ' '::text) || description)",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('NEW','ASSESS','ROOT_CAUSE_ANALYSIS','FIX_IN_PROGRESS','RESOLVED',"
            "'CLOSED','CANCELLED')",
            name=op.f("ck_problems_status_known"),
        ),
        sa.CheckConstraint("priority BETWEEN 1 AND 4", name=op.f("ck_problems_priority_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problems")),
        sa.UniqueConstraint("tenant_id", "number", name="uq_problems_tenant_number"),
        schema="problems",
    )
    op.create_index(
        "ix_problems_assignee",
        "problems",
        ["tenant_id", "assignee_id"],
        unique=False,
        schema="problems",
    )
    op.create_index(
        "ix_problems_ci", "problems", ["tenant_id", "ci_id"], unique=False, schema="problems"
    )
    op.create_index(
        "ix_problems_opened",
        "problems",
        ["tenant_id", "opened_at", "id"],
        unique=False,
        schema="problems",
    )
    op.create_index(
        "ix_problems_priority",
        "problems",
        ["tenant_id", "priority", "opened_at", "id"],
        unique=False,
        schema="problems",
    )
    op.create_index(
        "ix_problems_search",
        "problems",
        ["search"],
        unique=False,
        schema="problems",
        postgresql_using="gin",
    )
    op.create_index(
        "ix_problems_status_opened",
        "problems",
        ["tenant_id", "status", "opened_at", "id"],
        unique=False,
        schema="problems",
    )
    op.create_index(
        "ix_problems_updated",
        "problems",
        ["tenant_id", "updated_at", "id"],
        unique=False,
        schema="problems",
    )

    for table in TABLES:
        wall(table)


def downgrade() -> None:
    for table in TABLES:
        unwall(table)
    op.drop_index("ix_problems_updated", table_name="problems", schema="problems")
    op.drop_index("ix_problems_status_opened", table_name="problems", schema="problems")
    op.drop_index(
        "ix_problems_search", table_name="problems", schema="problems", postgresql_using="gin"
    )
    op.drop_index("ix_problems_priority", table_name="problems", schema="problems")
    op.drop_index("ix_problems_opened", table_name="problems", schema="problems")
    op.drop_index("ix_problems_ci", table_name="problems", schema="problems")
    op.drop_index("ix_problems_assignee", table_name="problems", schema="problems")
    op.drop_table("problems", schema="problems")
    op.drop_table("problem_numbers", schema="problems")
    op.drop_index("ix_problem_incidents_problem", table_name="problem_incidents", schema="problems")
    op.drop_table("problem_incidents", schema="problems")
    op.drop_index("ix_problem_comments_problem", table_name="problem_comments", schema="problems")
    op.drop_table("problem_comments", schema="problems")
    op.drop_index("ix_problem_changes_problem", table_name="problem_changes", schema="problems")
    op.drop_table("problem_changes", schema="problems")
    op.drop_index(
        "ix_problem_affected_cis_ci", table_name="problem_affected_cis", schema="problems"
    )
    op.drop_table("problem_affected_cis", schema="problems")
    op.drop_index("ix_incident_facts_opened", table_name="incident_facts", schema="problems")
    op.drop_table("incident_facts", schema="problems")

    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
    drop_schema(SCHEMA)
