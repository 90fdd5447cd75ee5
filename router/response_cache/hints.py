"""Cache hints and the cache policy of an operation, following Apollo's ``@cacheControl``.

A hint is declared for a type (``"Incident"``) or a field (``"Incident.comments"``). The
policy of a query is the lowest ``maxAge`` over its fields, ``PRIVATE`` if any field or type
says so. A field returning an object type, and every root field, has ``maxAge`` 0 unless a
hint on the field or its type says otherwise (so a new type is never cached by accident);
a scalar field inherits its parent's age. Mutations and subscriptions are never cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from graphql import OperationType

from router.planning.operation import Field, NormalizedOperation, Selection


class CacheScope(StrEnum):
    PUBLIC = "PUBLIC"
    PRIVATE = "PRIVATE"


@dataclass(frozen=True, slots=True)
class CacheHint:
    """``max_age`` in seconds (``None``: not set here); ``scope`` ``None``: not set here."""

    max_age: int | None = None
    scope: CacheScope | None = None


@dataclass(frozen=True, slots=True)
class CachePolicy:
    max_age: int
    scope: CacheScope = CacheScope.PUBLIC

    @property
    def cacheable(self) -> bool:
        return self.max_age > 0

    def header(self) -> str:
        """The ``Cache-Control`` value for a response under this policy."""
        if not self.cacheable:
            return "no-store"
        return f"max-age={self.max_age}, {self.scope.value.lower()}"


NOT_CACHEABLE = CachePolicy(0)
CacheHints = Mapping[str, CacheHint]


def hints_from_config(raw: Mapping[str, Mapping[str, Any]]) -> dict[str, CacheHint]:
    """Hints from ``{"Type" or "Type.field": {"maxAge": int, "scope": "PUBLIC"|"PRIVATE"}}``;
    raises ValueError naming the bad entry."""
    hints: dict[str, CacheHint] = {}
    for coordinate, spec in raw.items():
        unknown = set(spec) - {"maxAge", "scope"}
        max_age, scope = spec.get("maxAge"), spec.get("scope")
        if unknown:
            raise ValueError(f"cache hint {coordinate}: unknown key(s) {sorted(unknown)}")
        if max_age is not None and (not isinstance(max_age, int) or max_age < 0):
            raise ValueError(f"cache hint {coordinate}: maxAge must be a whole number >= 0")
        if scope is not None and scope not in CacheScope.__members__:
            raise ValueError(f"cache hint {coordinate}: scope must be PUBLIC or PRIVATE")
        hints[coordinate] = CacheHint(max_age, CacheScope(scope) if scope else None)
    return hints


def policy_for(operation: NormalizedOperation, hints: CacheHints) -> CachePolicy:
    """The cache policy of a normalised operation under ``hints``."""
    if operation.kind != OperationType.QUERY:
        return NOT_CACHEABLE
    walk = _PolicyWalk(hints, operation.root_type)
    walk.selections(operation.selections)
    if walk.max_age is None or walk.max_age <= 0:
        return NOT_CACHEABLE
    return CachePolicy(walk.max_age, CacheScope.PRIVATE if walk.private else CacheScope.PUBLIC)


class _PolicyWalk:
    def __init__(self, hints: CacheHints, root_type: str) -> None:
        self.hints = hints
        self.root_type = root_type
        self.max_age: int | None = None
        self.private = False

    def selections(self, selections: tuple[Selection, ...]) -> None:
        for selection in selections:
            if isinstance(selection, Field):
                self.field(selection)
            else:
                self.selections(selection.selections)

    def field(self, field: Field) -> None:
        if field.name == "__typename":
            return
        on_field = self.hints.get(f"{field.parent_type}.{field.name}", CacheHint())
        on_type = self.hints.get(field.type_name, CacheHint()) if field.selections else CacheHint()
        self.private |= CacheScope.PRIVATE in (on_field.scope, on_type.scope)
        age = on_field.max_age
        if age is None and (field.selections or field.parent_type == self.root_type):
            age = on_type.max_age if on_type.max_age is not None else 0
        if age is not None:
            self.max_age = age if self.max_age is None else min(self.max_age, age)
        self.selections(field.selections)
