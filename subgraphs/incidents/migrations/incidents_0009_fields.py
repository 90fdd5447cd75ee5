"""incidents: tags, custom fields (the tenant's definitions and each incident's values) and
the users a comment mentions

Revision ID: incidents_0009
Revises: incidents_0008
Create Date: 2026-12-05 19:30:00

Existing incidents get no tags and no custom field values, existing comments no mentions.
Tags and values get GIN indexes (`&&`/`@>` on tags, `@>` on the values with jsonb_path_ops).
The definitions table is walled like the others.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db.walls import unwall, wall

revision: str = "incidents_0009"
down_revision: str | None = "incidents_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIELDS = "incidents.incident_fields"


def upgrade() -> None:
    op.add_column(
        "incidents",
        sa.Column(
            "tags",
            postgresql.ARRAY(sa.String(length=50)),
            server_default=sa.text("'{}'::character varying[]"),
            nullable=False,
        ),
        schema="incidents",
    )
    op.add_column(
        "incidents",
        sa.Column(
            "custom_fields",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        schema="incidents",
    )
    op.create_index(
        "ix_incidents_tags", "incidents", ["tags"], schema="incidents", postgresql_using="gin"
    )
    op.create_index(
        "ix_incidents_custom_fields",
        "incidents",
        ["custom_fields"],
        schema="incidents",
        postgresql_using="gin",
        postgresql_ops={"custom_fields": "jsonb_path_ops"},
    )
    op.add_column(
        "incident_comments",
        sa.Column(
            "mention_ids",
            postgresql.ARRAY(sa.UUID()),
            server_default=sa.text("'{}'::uuid[]"),
            nullable=False,
        ),
        schema="incidents",
    )
    op.create_table(
        "incident_fields",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("required", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("enum_values", postgresql.ARRAY(sa.String(length=100)), nullable=True),
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
            "type IN ('STRING','NUMBER','BOOLEAN','DATE','ENUM','USER')",
            name=op.f("ck_incident_fields_type_known"),
        ),
        sa.CheckConstraint(
            "(type = 'ENUM') = (enum_values IS NOT NULL)",
            name=op.f("ck_incident_fields_enum_values_for_enum"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_fields")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_incident_fields_tenant_name"),
        schema="incidents",
    )
    wall(FIELDS)


def downgrade() -> None:
    unwall(FIELDS)
    op.drop_table("incident_fields", schema="incidents")
    op.drop_column("incident_comments", "mention_ids", schema="incidents")
    op.drop_index("ix_incidents_custom_fields", table_name="incidents", schema="incidents")
    op.drop_index("ix_incidents_tags", table_name="incidents", schema="incidents")
    op.drop_column("incidents", "custom_fields", schema="incidents")
    op.drop_column("incidents", "tags", schema="incidents")
