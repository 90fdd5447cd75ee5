"""Value tokens: what lets an equality filter on a JSONB column of named values (a CI's
attributes, an incident's custom fields), or on an array column's elements (an incident's
tags), or a full-text search (a tsvector's lexemes), use an index behind the tenant wall.
Applied by migrations, as the walls are (db/walls.py).

Such a filter tests containment (`values @> '{"os": "linux"}'`), which a GIN index answers —
but not for the application role: under row-level security PostgreSQL evaluates a condition
before the wall's only when its function is LEAKPROOF, and `jsonb_contains` is not (nor are
the array operators `&&` and `@>`, nor a tsvector's `@@`, nor can anyone but a superuser
declare a function so). So every such filter read all of the tenant's rows: 39 ms for a
value no CI holds at 115,000 CIs, growing with the tenant.

A token table holds, per row of the owning table, one token per named value that is a
scalar (string, number, boolean) of at most 1,024 bytes as JSON under a name of at most 256
(a longer one would not fit an index entry; a filter on such a value is not narrowed,
resolvers/value_tokens.py `tokenized`, and filters name at most 64 characters):
`<schema>.<tokens>_of(name, value)`, the one-key object
`{name: value}` as text, numbers without trailing zeros (`1.0` and `1` are equal in jsonb).
A filter's `eq` or `in` on scalars first narrows the rows to those holding one of its tokens,
by text equality (leakproof: the token table's index is used under its wall), then still
tests containment on those few, so the answer is containment's, exactly
(resolvers/value_tokens.py). An array column's tokens are its elements, a tsvector's its
lexemes (a search's rows are narrowed to those holding one of its words' lexemes: every
match holds at least one). Row triggers keep the tokens with every write of the owning table
that changes the column; the token table is walled like every other. The column's GIN
index, which no filter of the application role can use, is dropped (recreated by a
downgrade).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from alembic import op

from db.walls import unwall, wall

TOKEN_FUNCTION = """
CREATE FUNCTION {schema}.{tokens}_of(name text, value jsonb) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        name,
        CASE WHEN jsonb_typeof(value) = 'number' THEN to_jsonb(trim_scale(value::numeric))
        ELSE value END
    )::text
$$
"""
# The tokens of the rows of `rows`: for their scalar named values, or their elements.
VALUE_TOKENS_OF = """
        SELECT r.tenant_id, {schema}.{tokens}_of(v.key, v.value), r.id
        FROM {rows}, jsonb_each(r.{column}) v
        WHERE jsonb_typeof(v.value) IN ('string', 'number', 'boolean')
          AND octet_length(v.value::text) <= 1024 AND octet_length(v.key) <= 256
"""
ELEMENT_TOKENS_OF = """
        SELECT DISTINCT r.tenant_id, e.token, r.id FROM {rows}, unnest({elements}) e(token)
"""
# The columns of a token table's rows, as its trigger and its first fill write them.
TOKEN = "tenant_id, token, owner_id"
NUMBER = "tenant_id, name, number, owner_id"
KEEP = """
CREATE FUNCTION {schema}.keep_{tokens}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM {schema}.{tokens} WHERE tenant_id = OLD.tenant_id AND owner_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO {schema}.{tokens} ({columns})
        {new_tokens};
    END IF;
    RETURN NULL;
END
$$
"""
# Row-level, and only where the values are or were some: a write that leaves them alone (most
# updates of an incident) does not even call the function.
EVENTS = (
    ("INSERT", "INSERT", "NEW.{column} <> {empty}"),
    ("UPDATE", "UPDATE OF {column}", "OLD.{column} IS DISTINCT FROM NEW.{column}"),
    ("DELETE", "DELETE", "OLD.{column} <> {empty}"),
)


@dataclass(frozen=True)
class ValueTokens:
    """The token table `tokens` of `schema.table`'s `column` (rows keyed by `id`, named in
    the token's `owner_id`; db.base.ValueTokenRow maps it): a JSONB object of named values,
    or the array whose SQL over row `r` is `elements` (`r.tags`; a tsvector's lexemes:
    `tsvector_to_array(r.search)`); `empty` is the column's empty value.
    `gin` is the column's GIN index (with its operator class, if not the default) the tokens
    replace."""

    schema: str
    table: str
    column: str
    tokens: str
    gin: tuple[str, str | None]
    elements: str | None = None
    empty: str = "'{}'"

    def create(self) -> None:
        """The table (walled), its triggers, and the tokens of the rows there are."""
        _table(self.schema, self.tokens, sa.Column("token", sa.Text(), nullable=False))
        if self.elements is None:
            op.execute(TOKEN_FUNCTION.format(schema=self.schema, tokens=self.tokens))
        _kept(self.schema, self.table, self.column, self.tokens, self.empty, TOKEN, self._tokens_of)
        op.drop_index(self.gin[0], table_name=self.table, schema=self.schema)

    def drop(self) -> None:
        name, ops = self.gin
        op.create_index(
            name,
            self.table,
            [self.column],
            schema=self.schema,
            postgresql_using="gin",
            postgresql_ops={self.column: ops} if ops else {},
        )
        _unkept(self.schema, self.table, self.tokens)
        if self.elements is None:
            op.execute(f"DROP FUNCTION {self.schema}.{self.tokens}_of(text, jsonb)")

    def _tokens_of(self, rows: str) -> str:
        if self.elements is None:
            return VALUE_TOKENS_OF.format(
                schema=self.schema, tokens=self.tokens, rows=rows, column=self.column
            )
        return ELEMENT_TOKENS_OF.format(rows=rows, elements=self.elements)


NUMBER_FUNCTION = """
CREATE FUNCTION {schema}.{tokens}_of(value jsonb) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT greatest(least(value::numeric, {limit}), -{limit})::float8
$$
"""
# The numbers of the rows of `rows`: their named values that are numbers.
NUMBERS_OF = """
        SELECT r.tenant_id, v.key, {schema}.{tokens}_of(v.value), r.id
        FROM {rows}, jsonb_each(r.{column}) v
        WHERE jsonb_typeof(v.value) = 'number' AND octet_length(v.key) <= 256
"""
# The largest float8, rounded down: a number beyond it is kept as it (clamped, in order).
FLOAT8_LIMIT = "1.7e308"


@dataclass(frozen=True)
class NumberTokens:
    """The number table `tokens` of `schema.table`'s JSONB `column` of named values: per row
    (its `owner_id`), each value that is a number, as a float8 under its name — what a
    range filter finds its rows by (resolvers/value_tokens.py `NumberTokens`), since the
    float8 comparisons are leakproof (numeric's are not) and so use the index behind the
    wall. Rounding to float8 (and clamping beyond its range) keeps the numbers' order
    (never reversing two), so a range's rows are among those whose float8 is within the
    range's bounds rounded alike; the exact comparison still decides."""

    schema: str
    table: str
    column: str
    tokens: str

    def create(self) -> None:
        """The table (walled), its triggers, and the numbers of the rows there are."""
        _table(
            self.schema,
            self.tokens,
            sa.Column("name", sa.Text(), nullable=False),
            sa.Column("number", sa.Float(), nullable=False),
        )
        op.execute(
            NUMBER_FUNCTION.format(schema=self.schema, tokens=self.tokens, limit=FLOAT8_LIMIT)
        )
        _kept(self.schema, self.table, self.column, self.tokens, "'{}'", NUMBER, self._numbers_of)

    def drop(self) -> None:
        _unkept(self.schema, self.table, self.tokens)
        op.execute(f"DROP FUNCTION {self.schema}.{self.tokens}_of(jsonb)")

    def _numbers_of(self, rows: str) -> str:
        return NUMBERS_OF.format(
            schema=self.schema, tokens=self.tokens, rows=rows, column=self.column
        )


def _table(schema: str, tokens: str, *columns: sa.Column[object]) -> None:
    """A token table: its tenant, `columns`, the owning row (all in its key); walled."""
    op.create_table(
        tokens,
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        *columns,
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", *(c.name for c in columns), "owner_id", name=op.f(f"pk_{tokens}")
        ),
        schema=schema,
    )
    op.create_index(f"ix_{tokens}_owner_id", tokens, ["tenant_id", "owner_id"], schema=schema)
    wall(f"{schema}.{tokens}")


def _kept(
    schema: str,
    table: str,
    column: str,
    tokens: str,
    empty: str,
    columns: str,
    of: Callable[[str], str],
) -> None:
    """The triggers keeping `tokens` with `column`'s writes, and the tokens of the rows there
    are: `of(rows)` selects the `columns` of the tokens of the rows `rows` (SQL, as `r`)."""
    op.execute(
        KEEP.format(
            schema=schema, tokens=tokens, columns=columns, new_tokens=of("(SELECT NEW.*) r")
        )
    )
    for name, event, when in EVENTS:
        op.execute(
            f"CREATE TRIGGER keep_{tokens}_{name.lower()} "
            f"AFTER {event.format(column=column)} ON {schema}.{table} "
            f"FOR EACH ROW WHEN ({when.format(column=column, empty=empty)}) "
            f"EXECUTE FUNCTION {schema}.keep_{tokens}()"
        )
    op.execute(f"INSERT INTO {schema}.{tokens} ({columns}) " + of(f"{schema}.{table} r"))


def _unkept(schema: str, table: str, tokens: str) -> None:
    """`_kept` and `_table` undone: the triggers, their function, the (walled) table."""
    for event, _, _ in EVENTS:
        op.execute(f"DROP TRIGGER keep_{tokens}_{event.lower()} ON {schema}.{table}")
    op.execute(f"DROP FUNCTION {schema}.keep_{tokens}()")
    unwall(f"{schema}.{tokens}")
    op.drop_table(tokens, schema=schema)


def search_tokens(schema: str, table: str, tokens: str) -> ValueTokens:
    """The tokens of `schema.table`'s full-text `search` tsvector (with its GIN index
    `ix_<table>_search`): its lexemes."""
    return ValueTokens(
        schema,
        table,
        "search",
        tokens,
        gin=(f"ix_{table}_search", None),
        elements="tsvector_to_array(r.search)",
        empty="''",
    )


def create(*tokens: ValueTokens | NumberTokens) -> None:
    """A migration's token tables, created in order."""
    for each in tokens:
        each.create()


def drop(*tokens: ValueTokens | NumberTokens) -> None:
    """A migration's token tables, dropped in the reverse order."""
    for each in reversed(tokens):
        each.drop()
