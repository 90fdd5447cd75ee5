"""Statements built once for the inputs they are built from.

A list's statement is built from the client's filter, order and page: SQLAlchemy builds
its clauses (a comparison, an ``IN``, an ordering, a limit each a few objects), then a read
finds its compiled form by the statement's cache key, computed over the whole tree; both
per request, 100-200 µs for a page of incidents here, a sixth of a one-row list's CPU.
Built from the same values, the statement is the same: :func:`built_once` keeps it per
builder and values, and a read of the very statement skips even the cache key (db/reads.py
finds a statement it compiled by identity). :func:`derived` does the same for a statement
made from another (its page, its count), kept as long as that one is.

Only builders that are functions of their inputs alone belong here (no clock, no database
read, no request state: the tenant is a bound parameter given at execution,
resolvers/pagination.py's ``tenant_rows``). Inputs are keyed by value: strings, numbers,
enums, ids, timestamps, lists and Strawberry inputs of them; an input holding anything else
(a JSON object, say) is built afresh every time."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from strawberry.types.unset import UnsetType

S = TypeVar("S")

# Statements kept per builder and values; past it the least recently used is dropped.
KEPT = 512

_BUILT: OrderedDict[Hashable, Any] = OrderedDict()
_DERIVED: weakref.WeakKeyDictionary[Any, dict[Hashable, Any]] = weakref.WeakKeyDictionary()

_VALUES = (
    str,
    int,
    float,
    bool,
    type(None),
    uuid.UUID,
    datetime.datetime,
    datetime.date,
    decimal.Decimal,
    UnsetType,
    enum.Enum,
)


class _ByIdentity(Exception):
    """An input that is not a value (see the module's docstring)."""


def built_once(build: Callable[..., S], *inputs: Any) -> S:
    """``build(*inputs)``, the same statement for the same values of ``inputs`` (the last
    ``KEPT``); a build that raises (a client's bad id, say) is not kept."""
    try:
        key = (build, _frozen(inputs))
    except _ByIdentity:
        return build(*inputs)
    found = _BUILT.get(key)
    if found is not None:
        _BUILT.move_to_end(key)
        return found  # type: ignore[no-any-return]
    statement = _BUILT[key] = build(*inputs)
    if len(_BUILT) > KEPT:
        _BUILT.popitem(last=False)
    return statement


def derived(base: Any, build: Callable[..., S], *inputs: Hashable) -> S:
    """``build(base, *inputs)``, kept with ``base`` (a statement) as long as it lives: the
    same statement for the same inputs of the same base, nothing kept of a base built per
    request."""
    kept = _DERIVED.get(base)
    if kept is None:
        kept = _DERIVED[base] = {}
    key = (build, *inputs)
    found = kept.get(key)
    if found is None:
        if len(kept) >= KEPT:
            kept.clear()
        found = kept[key] = build(base, *inputs)
    return found  # type: ignore[no-any-return]


def _frozen(value: Any) -> Hashable:
    if isinstance(value, _VALUES):
        return value  # type: ignore[no-any-return]
    if type(value) is list or type(value) is tuple:
        return tuple(map(_frozen, value))
    if isinstance(value, frozenset):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value), *(_frozen(getattr(value, name)) for name in _field_names(value)))
    raise _ByIdentity


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(value: Any) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(type(value))
    if names is None:
        names = _FIELD_NAMES[type(value)] = tuple(f.name for f in dataclasses.fields(value))
    return names
