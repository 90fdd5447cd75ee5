"""Values kept in a JSONB object per row (CI attributes, incident custom fields): checked on
write by a JSON Schema generated from the owner's definitions (`jsonschema_rs`), and filtered
with equality and ranges. Both domains that keep such values use this, so one definition of
"wrong" and one filter grammar serve them all. Equality finds its rows through the column's
value tokens (db/value_tokens.py), which an index answers behind the tenant wall."""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Protocol

import jsonschema_rs
import orjson
from sqlalchemy import ColumnElement, and_, cast, func, literal, or_
from sqlalchemy.dialects.postgresql import JSONB

from resolvers.errors import BadUserInput
from resolvers.value_tokens import NumberTokens, ValueTokens, tokenized

IN_MAX = 100


@lru_cache(maxsize=256)
def _validator(schema_json: bytes) -> Any:
    return jsonschema_rs.validator_for(orjson.loads(schema_json), validate_formats=True)


def validator(schema: Mapping[str, Any]) -> Any:
    """The compiled validator of `schema`, shared by every equal schema."""
    return _validator(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))


def value_error(error: Any, prefix: str, noun: str, key: str) -> BadUserInput:
    """BAD_USER_INPUT naming the value (`<prefix>.<name>`) a JSON Schema error of an object
    schema (properties, `required`, no additional properties) is about; the name is also in
    the extension `key`."""
    path = list(error.instance_path)
    kind = error.kind
    if path:
        name = str(path[0])
        message = f"{prefix}.{name}: {error.message}"
    elif isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        name = str(kind.property)
        message = f"{prefix}.{name} is required"
    elif isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
        name = str(kind.unexpected[0])
        message = f"{prefix}.{name}: {noun}"
    else:
        name = ""
        message = f"{prefix}: {error.message}"
    return BadUserInput(message, field=f"{prefix}.{name}" if name else prefix, **{key: name})


def check_values(schema: Mapping[str, Any], values: Any, prefix: str, noun: str, key: str) -> None:
    """BAD_USER_INPUT naming the first value (by name) `schema` refuses (see `value_error`;
    `noun` says what an unknown name is not)."""
    if not isinstance(values, Mapping):
        raise BadUserInput(f"{prefix} must be a JSON object", field=prefix)
    errors = [
        value_error(e, prefix, noun, key) for e in validator(schema).iter_errors(dict(values))
    ]
    if errors:
        raise min(errors, key=lambda e: (e.extensions or {}).get(key, ""))


class ValueCondition(Protocol):
    """A filter condition on one named value: equal to, one of, ranges, present or not."""

    name: str
    eq: Any
    in_: Any
    gt: Any
    gte: Any
    lt: Any
    lte: Any
    exists: bool | None


def _json(value: Any) -> ColumnElement[Any]:
    return cast(literal(value, JSONB), JSONB)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(value: Any) -> bool:
    """No number in `value` is infinite (a literal beyond a float's range, `1e400`): JSON,
    and so PostgreSQL's jsonb, has no infinity."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Mapping):
        return all(map(_finite, value.values()))
    if isinstance(value, list):
        return all(map(_finite, value))
    return True


def value_condition(
    column: Any,
    condition: ValueCondition,
    argument: str,
    name_max: int,
    tokens: ValueTokens,
    numbers: NumberTokens,
) -> list[ColumnElement[bool]]:
    """The SQL conditions on the JSONB object `column` for one filter condition (BAD_USER_INPUT
    naming `argument`, the filter, for a bad name, too many values or a range over something
    other than numbers or strings). Equality is containment; by the column's `tokens`, an
    `eq` or `in` on scalars first narrows the rows to those holding one of the values, so
    containment, which still decides, is tested on those few only. A range on numbers first
    narrows the rows likewise, to those holding a number within it (the column's
    `numbers`); one on strings compares every row's value."""
    name = condition.name
    if not name or len(name) > name_max:
        raise BadUserInput(f"{argument}.name must be 1-{name_max} characters", argument="filter")
    given = (condition.eq, condition.in_, condition.gt, condition.gte, condition.lt, condition.lte)
    if not _finite(list(given)):
        raise BadUserInput(f"{argument}: numbers must be finite", argument="filter")
    value = column[name]
    where: list[ColumnElement[bool]] = []
    if condition.eq is not None:
        where.append(column.contains({name: condition.eq}))
    if condition.in_ is not None:
        if len(condition.in_) > IN_MAX:
            raise BadUserInput(f"{argument}.in takes at most {IN_MAX} values", argument="filter")
        where.append(or_(*(column.contains({name: v}) for v in condition.in_)))
    for bound, compare in (
        (condition.gt, value.__gt__),
        (condition.gte, value.__ge__),
        (condition.lt, value.__lt__),
        (condition.lte, value.__le__),
    ):
        if bound is None:
            continue
        if isinstance(bound, (dict, list, bool)):
            raise BadUserInput(f"{argument}: ranges compare numbers or strings", argument="filter")
        # jsonb orders values of different types by type: compare like with like only.
        where.append(
            and_(func.jsonb_typeof(value) == func.jsonb_typeof(_json(bound)), compare(_json(bound)))
        )
    if condition.exists is not None:
        has = column.has_key(name)
        where.append(has if condition.exists else ~has)
    values = [condition.eq] if condition.eq is not None else condition.in_
    if values and all(map(tokenized, values)):
        where.insert(0, tokens.holding_any([tokens.value(name, _json(v)) for v in values]))
    lows = [_json(bound) for bound in (condition.gt, condition.gte) if _number(bound)]
    highs = [_json(bound) for bound in (condition.lt, condition.lte) if _number(bound)]
    if lows or highs:
        where.insert(0, numbers.within(name, lows, highs))
    return where
