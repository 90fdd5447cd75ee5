"""cmdb: an attribute filter finds its CIs through an index, behind the tenant wall

Revision ID: cmdb_0007
Revises: cmdb_0006
Create Date: 2026-12-06 21:30:00

`configurationItems(filter: {attributes: [{name: "os", eq: "linux"}]})` tests containment
(`attributes @> '{"os": "linux"}'`), which the GIN index on `attributes` answers — but not for
the application role: under row-level security PostgreSQL evaluates a condition before the
tenant wall's only when its function is LEAKPROOF, and `jsonb_contains` is not (nor can a
non-superuser declare it so). So every attribute filter read all of the tenant's CIs: 78 ms
for a value no CI holds, at 115,000 CIs.

`ci_attribute_tokens` holds, per CI, one token per attribute with a scalar value (string,
number, boolean): `cmdb.attribute_token(name, value)`, the one-key object `{name: value}` as
text, numbers without trailing zeros (`1.0` and `1` are equal in jsonb). A filter's `eq` or
`in` on scalars narrows the CIs to those with the token by text equality (leakproof: the
index is used under the wall), then still tests containment on those few, so the answer is
the containment's, exactly. Triggers keep the tokens with every write of a CI (statement
level, like cmdb_0004's log). Walled like every table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.walls import unwall, wall

revision: str = "cmdb_0007"
down_revision: str | None = "cmdb_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "cmdb.ci_attribute_tokens"
TOKEN = """
CREATE FUNCTION cmdb.attribute_token(name text, value jsonb) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        name,
        CASE WHEN jsonb_typeof(value) = 'number' THEN to_jsonb(trim_scale(value::numeric))
        ELSE value END
    )::text
$$
"""
# The tokens of the CIs in `rows` (a transition table or the table itself), for their scalar
# attributes; `changed` narrows an update's to the CIs whose attributes it changed.
TOKENS_OF = """
        SELECT r.tenant_id, cmdb.attribute_token(a.key, a.value), r.id
        FROM {rows} r {changed}, jsonb_each(r.attributes) a
        WHERE jsonb_typeof(a.value) IN ('string', 'number', 'boolean')
"""
CHANGED = "JOIN old_rows o ON o.id = r.id AND o.attributes IS DISTINCT FROM r.attributes"
KEEP = f"""
CREATE FUNCTION cmdb.keep_attribute_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM cmdb.ci_attribute_tokens t USING new_rows r {CHANGED}
            WHERE t.tenant_id = r.tenant_id AND t.ci_id = r.id;
        INSERT INTO cmdb.ci_attribute_tokens (tenant_id, token, ci_id)
        {TOKENS_OF.format(rows="new_rows", changed=CHANGED)};
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO cmdb.ci_attribute_tokens (tenant_id, token, ci_id)
        {TOKENS_OF.format(rows="new_rows", changed="")};
    ELSE
        DELETE FROM cmdb.ci_attribute_tokens t USING old_rows o
            WHERE t.tenant_id = o.tenant_id AND t.ci_id = o.id;
    END IF;
    RETURN NULL;
END
$$
"""
EVENTS = (
    ("INSERT", "NEW TABLE AS new_rows"),
    ("DELETE", "OLD TABLE AS old_rows"),
    ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
)


def upgrade() -> None:
    op.create_table(
        "ci_attribute_tokens",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("ci_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "token", "ci_id", name=op.f("pk_ci_attribute_tokens")),
        schema="cmdb",
    )
    op.create_index(
        "ix_ci_attribute_tokens_ci", "ci_attribute_tokens", ["tenant_id", "ci_id"], schema="cmdb"
    )
    wall(TABLE)
    op.execute(TOKEN)
    op.execute(KEEP)
    for event, tables in EVENTS:
        op.execute(
            f"CREATE TRIGGER keep_attribute_tokens_{event.lower()} AFTER {event} "
            f"ON cmdb.configuration_items REFERENCING {tables} "
            "FOR EACH STATEMENT EXECUTE FUNCTION cmdb.keep_attribute_tokens()"
        )
    op.execute(
        f"INSERT INTO {TABLE} (tenant_id, token, ci_id) "
        + TOKENS_OF.format(rows="cmdb.configuration_items", changed="")
    )


def downgrade() -> None:
    for event, _ in EVENTS:
        op.execute(
            f"DROP TRIGGER keep_attribute_tokens_{event.lower()} ON cmdb.configuration_items"
        )
    op.execute("DROP FUNCTION cmdb.keep_attribute_tokens()")
    op.execute("DROP FUNCTION cmdb.attribute_token(text, jsonb)")
    unwall(TABLE)
    op.drop_table("ci_attribute_tokens", schema="cmdb")
