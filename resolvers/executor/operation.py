"""A compiled operation: a tree of field plans, built once per (document, operation name).

:mod:`resolvers.executor.compiler` builds it; :mod:`resolvers.executor.run` runs it. Field
collection (fragments merged per concrete type), the field definitions, how each field's
value is read and how its type is completed are decided when it is built, so that running it
does none of graphql-core's per-field bookkeeping.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLObjectType,
    OperationDefinitionNode,
)

from resolvers.batching import BatchResolver

if TYPE_CHECKING:
    from resolvers.executor.direct_calls import DirectCall


# What a run's batches resolved: per batched field (by id), per object (by id, the object
# kept to rule out a reused id) the value (resolvers/executor/run.py).
Found = dict[int, dict[int, tuple[Any, Any]]]
# An object's generated completion (resolvers/executor/builders.py): (object, found) -> dict.
Build = Callable[[Any, Found], dict[str, Any]]


class NotPlain(Exception):
    """A value generated code leaves to the general completion (resolvers/executor/
    builders.py)."""


def not_plain() -> Any:
    """Raise :class:`NotPlain` (from within an expression of generated code)."""
    raise NotPlain


class Kind(Enum):
    NON_NULL = "non-null"
    LIST = "list"
    LEAF = "leaf"
    OBJECT = "object"
    ABSTRACT = "abstract"


@dataclass(slots=True, eq=False)
class TypePlan:
    """How to complete a value of one output type (wrappers nest through ``inner``)."""

    kind: Kind
    name: str = ""
    inner: TypePlan | None = None
    serialize: Callable[[Any], Any] | None = None
    fields: tuple[FieldPlan, ...] = ()  # OBJECT: its selected fields, in response order
    possible: dict[str, TypePlan] = field(default_factory=dict)  # ABSTRACT: per object type
    # OBJECT: the batched fields reached from this object through plain attribute fields
    # (no list, no resolver between): each as that chain of fields and the batched field.
    # ABSTRACT: those of every possible type (the chain's first field or the batched field
    # says which type's objects it applies to).
    batches: tuple[tuple[tuple[FieldPlan, ...], FieldPlan], ...] = ()
    # OBJECT: its objects' completion generated, when every selected field is plain
    # (resolvers/executor/builders.py). ABSTRACT: those of its possible types by name, when
    # every one has one.
    build: Build | None = None
    builds: dict[str, Build] | None = None
    # OBJECT: its completions generated from rows (resolvers/executor/builders.py), per
    # (RowFields, row class) met, None where one cannot be.
    row_builds: dict[tuple[int, type], Callable[[Any, Found], dict[str, Any]] | None] = field(
        default_factory=dict
    )


@dataclass(slots=True, eq=False)
class FieldPlan:
    """One response key of an object: where its value comes from and how it completes."""

    key: str
    name: str
    nodes: list[FieldNode]
    parent_type: GraphQLObjectType
    definition: GraphQLField | None  # None for __typename
    type: TypePlan | None
    getter: Callable[[Any], Any] | None  # plain attribute fields
    non_null: bool
    # A plain attribute field of a scalar or enum type: serialised without the general
    # completion (most fields of a page); values of exactly type ``plain`` are not even
    # serialised (a str for String).
    leaf: Callable[[Any], Any] | None = None
    plain: builtins.type | None = None  # (`type` is a field's name here)
    # A plain attribute field of an object type: its object completes field by field
    # without the general completion.
    object_plan: TypePlan | None = None
    # A plain attribute field: the attribute ``getter`` reads.
    attribute: str | None = None
    # A resolver the runner may call itself, without Strawberry's per-call wrapper.
    direct: DirectCall | None = None
    # Its resolver for many objects at once (resolvers/batching.py), when declared; whether
    # that resolver reads only its objects' ids (``batched(by_id=True)``), and the
    # attributes of its objects it reads, when declared (the id for ``by_id``).
    batch: BatchResolver | None = None
    by_id: bool = False
    reads: tuple[str, ...] = ()
    # A root field whose objects' ids are known before they are read: the by-id batched
    # fields read with them (resolvers/batching.py).
    ahead: ReadAhead | None = None


@dataclass(frozen=True, slots=True)
class ReadAhead:
    """The ids a root field's objects have, known from its arguments, and the batched fields
    of those objects that can be read from an id alone (resolvers/batching.py)."""

    argument: str  # the field's argument holding them
    representations: bool  # a list of entity representations (``_entities``), else one id
    fields: tuple[FieldPlan, ...]  # each a field of its ``parent_type``'s objects


REPRESENTATION = "_Any"
"""Federation's scalar of entity representations."""


@dataclass(frozen=True, slots=True)
class CompiledOperation:
    """A compiled query or mutation operation of one document."""

    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    root: TypePlan
    representations: frozenset[str] = frozenset()
    """Its variables of type ``[_Any!]!`` (an entity fetch's representations)."""
    serial: tuple[TypePlan, ...] | None = None
    """A mutation's root fields, each as an object plan of that one field, to run one
    after the other (None: a query, whose fields run together)."""
