"""Finding rows by their value tokens (db/value_tokens.py): a filter's equality on a JSONB
column of named values, on the elements of an array column, or a full-text search's words,
looked up by text equality, which an index answers behind the tenant wall, where the
column's own GIN index cannot be used. The caller keeps its exact condition (containment,
overlap, `@@`): the tokens only narrow the rows it is tested on."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, Text, any_, func, select
from sqlalchemy.sql.functions import Function

_SCALARS = (str, int, float)  # the values a token holds (a bool is an int)
# JSON bytes of the longest value a filter narrows by: db/value_tokens.py tokenizes values of
# up to 1,024 (as PostgreSQL writes them, which escapes what `json.dumps` does).
NARROWED_MAX = 1000


def tokenized(value: Any) -> bool:
    """Whether a named value equal to `value` has a token (a scalar, not too long)."""
    if not isinstance(value, _SCALARS):
        return False
    return len(json.dumps(value, ensure_ascii=False).encode()) <= NARROWED_MAX


def _of(table: Any, *arguments: Any, type_: Any) -> ColumnElement[Any]:
    """The token table's `<schema>.<table>_of` (db/value_tokens.py) of `arguments`."""
    definition = table.__table__
    return Function(
        f"{definition.name}_of", *arguments, packagenames=(definition.schema,), type_=type_
    )


@dataclass(frozen=True)
class _Tokens:
    """A token table (a db.base.TokenRow) of a column of `row`'s table."""

    table: Any
    row: Any

    def _holding(self, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
        """`row` owns a token meeting `conditions`."""
        # Not correlated with `row`: PostgreSQL before 17 runs a correlated IN once per row
        # (153 ms at 115,000 CIs on 15). The token table's wall keeps it to the tenant's
        # tokens, and ids are unique across tenants.
        found = select(self.table.owner_id).where(*conditions)
        return self.row.id.in_(found)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ValueTokens(_Tokens):
    """The value tokens (a db.base.ValueTokenRow) of a column of `row`'s table."""

    def holding_any(self, tokens: Sequence[Any]) -> ColumnElement[bool]:
        """`row` has one of `tokens` (texts, or SQL expressions of them)."""
        return self._holding(self.table.token.in_(tokens))

    def holding_words(self, config: str, text: str) -> ColumnElement[bool] | None:
        """`row` holds the lexeme (in the text search `config`) of one of `text`'s words, as
        every row a web search for `text` (`websearch_to_tsquery`) matches does — unless a
        word is excluded (`-word`): a search that only excludes matches rows holding none of
        its words, so there is nothing to narrow by (None)."""
        if any(word.startswith("-") for word in text.split()):
            return None
        lexemes = func.tsvector_to_array(func.to_tsvector(config, text))
        return self._holding(self.table.token == any_(lexemes))

    def value(self, name: str, value: Any) -> ColumnElement[str]:
        """The token of the named value `value` (a bound jsonb)."""
        return _of(self.table, name, value, type_=Text)


@dataclass(frozen=True)
class NumberTokens(_Tokens):
    """The number table (a db.base.NumberTokenRow) of a JSONB column of `row`'s table."""

    def within(self, name: str, lows: Sequence[Any], highs: Sequence[Any]) -> ColumnElement[bool]:
        """`row` has a number named `name` at or above each of `lows` and at or below each
        of `highs` (jsonb numbers, SQL expressions), all compared as float8 — rounded (and
        clamped) alike, in order: every row whose number is within, and maybe a few next to
        the bounds, which the exact comparison then refuses."""
        number = self.table.number
        return self._holding(
            self.table.name == name,
            *(number >= _of(self.table, low, type_=Float) for low in lows),
            *(number <= _of(self.table, high, type_=Float) for high in highs),
        )
