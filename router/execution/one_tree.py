"""Responses built in one tree: the fetches' answers already are the client's response.

Subgraphs answer with the client's response keys, in the client's order, and the router
merges their answers in place; so for most operations the merged tree differs from the
client's response only where fetches met: the key fields, ``__typename`` and ``@requires``
fields one fetch selected for a later one, field order where two fetches filled one object,
and the ``__typename`` the router answers itself. :func:`one_tree` finds those positions once
per plan (only for operations with no ``@skip``/``@include``, no abstract type, no enum value
the API hides and no introspection); :func:`finish` tidies the objects there, in place,
instead of shaping the whole tree again (``shape``). When a run has errors, or an object
lacks a key the client selected (an entity nobody found, a fetch that failed), the response
is shaped as usual, nulls and all. Only for subgraphs run in-process: their answers come
from an executor of their schema, so no value needs the shaper's checks.

Most such positions are a Flatten's paths: there, the last entity fetch to merge its answer
rewrites each object as it merges (:class:`AtMerge`, PlanExecution), and :func:`finish` has
only the rest to walk to, often nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    parse,
)

from router.planning import (
    FetchNode,
    FlattenNode,
    IntrospectionNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    SequenceNode,
)
from router.planning.operation import Field, Selection

Keys = tuple[str, ...]


class _NotPlain(Exception):
    """A fetch this module cannot read the written keys of (the planner prints none)."""


@dataclass(frozen=True, slots=True)
class Append:
    """How an entity fetch's answer joins an object at a position without rewriting it: an
    object holding ``before`` (what the one fetch before wrote there, in its order), less
    ``drops`` (keys only a fetch needed), is the start of the client's keys; the rest,
    ``added``, follow it from the answer (which may hold more: one entity fetch answers
    every path it serves with the fields any of them selected). A blast radius merges
    thousands."""

    before: Keys
    drops: Keys
    added: Keys
    wanted: frozenset[str] = dataclasses.field(init=False, compare=False)  # the added keys as a set
    # The client selected nothing the object holds: the answer (as this position takes it)
    # can stand in the object's place rather than be copied into it.
    replaces: bool = dataclasses.field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "wanted", frozenset(self.added))
        object.__setattr__(self, "replaces", self.drops == self.before)


@dataclass(frozen=True, slots=True)
class Position:
    """Objects of the merged tree to tidy: those at ``path`` (``@``: list elements) must hold
    exactly ``keys``, in that order; ``typename`` is the ``__typename`` the client selected
    there (the router answers it; subgraphs are not asked); ``append``, for a position an
    entity fetch tidies as it merges, when its answers can simply follow."""

    path: tuple[str, ...]
    keys: Keys
    typename: str | None = None
    append: Append | None = None


class _Step:
    """One step of the positions' paths, shared by every path through it (the tree is
    walked once, whatever the number of positions)."""

    __slots__ = ("below", "keyset", "position")

    def __init__(self) -> None:
        self.below: dict[str, _Step] = {}  # by response key; "@": the elements of a list
        self.position: Position | None = None
        self.keyset: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class AtMerge:
    """The positions entity fetches tidy as they merge their answers (PlanExecution), so
    that :func:`finish` need not walk to them: per Flatten node (by identity; the plan, kept
    with its OneTree, keeps it alive), per path, the position its objects are rewritten to
    (None: merged only); and per such path the number of Flattens writing there, the last
    of which to merge rewrites."""

    flattens: dict[int, tuple[Position | None, ...]]
    writers: dict[tuple[str, ...], int]


class OneTree:
    """What tidying a plan's merged tree takes: the positions where fetches met, where a
    fetch selected more than the client (key fields and ``@requires`` fields for a later
    fetch) or in another order, and where the client asked for ``__typename``; kept as one
    tree of steps from the root (``steps``), and as one without the positions tidied as the
    answers were merged (``rest``, for an execution that ran with ``at_merge``)."""

    __slots__ = ("at_merge", "rest", "steps")

    def __init__(self, positions: tuple[Position, ...], at_merge: AtMerge | None = None) -> None:
        self.steps = _steps(positions)
        self.at_merge = at_merge
        self.rest = self.steps
        if at_merge is not None:
            self.rest = _steps(tuple(p for p in positions if p.path not in at_merge.writers))


def _steps(positions: tuple[Position, ...]) -> _Step:
    root = _Step()
    for position in positions:
        step = root
        for key in position.path:
            step = step.below.setdefault(key, _Step())
        step.position = position
        step.keyset = frozenset(position.keys)
    return root


def one_tree(plan: QueryPlan, supergraph_schema: GraphQLSchema | None) -> OneTree | None:
    """How to finish ``plan``'s responses without shaping them, or None when they need it
    (``supergraph_schema``: the whole composed schema, to see enum values the API hides)."""
    operation = plan.operation
    if not _plain(operation.selections, supergraph_schema):
        return None
    fetched: list[tuple[tuple[str, ...], SelectionSetNode, _Writer]] = []
    if not _fetched(plan.node, fetched, ()):
        return None
    written: dict[tuple[str, ...], list[_Write]] = {}
    for path, selection_set, writer in fetched:
        at = _selections_at(operation.selections, path)
        if at is None:
            return None
        try:
            _written(at, [selection_set], path, written, writer)
        except _NotPlain:
            return None
    positions: dict[tuple[str, ...], Position] = {}
    root = _keys(operation.selections)
    if "__typename" in root:
        positions[()] = Position((), root, operation.root_type)
    _typename_positions(operation.selections, operation.selections, (), positions)
    for path, writes in written.items():
        keys = _keys_at(operation.selections, path)
        assert keys is not None  # _written follows the client's fields only
        if path not in positions and (len(writes) > 1 or writes[0].keys != keys):
            positions[path] = Position(path, keys)
    return OneTree(tuple(positions.values()), _at_merge(positions, written))


def _at_merge(
    positions: dict[tuple[str, ...], Position], written: dict[tuple[str, ...], list[_Write]]
) -> AtMerge | None:
    """The positions that can be tidied as entity answers are merged: a Flatten's paths
    written, besides by Flattens there, only by root fetches run before them all. Those
    give fresh objects, one per position; an entity answer merged into several objects
    shares what it holds between them, so below a Flatten path an object may stand at two
    positions (then :func:`finish` must see it whole)."""
    flattens: dict[int, list[Position | None]] = {}
    writers: dict[tuple[str, ...], int] = {}
    for path, position in positions.items():
        writes = written.get(path, [])
        own = [w.writer for w in writes if w.own and isinstance(w.writer.node, FlattenNode)]
        others = [w.writer for w in writes if not w.own or isinstance(w.writer.node, FetchNode)]
        if not own or not all(
            isinstance(other.node, FetchNode) and all(other.before(last) for last in own)
            for other in others
        ):
            continue
        writers[path] = len(own)
        if len(writes) == 2 and len(own) == 1:
            first = next(w for w in writes if w.writer is not own[0])
            position = replace(position, append=_append(first.keys, position.keys))
        for writer in own:
            assert isinstance(writer.node, FlattenNode)
            paths = writer.node.paths
            flattens.setdefault(id(writer.node), [None] * len(paths))[paths.index(path)] = position
    if not writers:
        return None
    return AtMerge({node: tuple(at) for node, at in flattens.items()}, writers)


def _append(before: Keys, keys: Keys) -> Append | None:
    """The :class:`Append` to objects holding ``before``, when what the client selected of
    them (``keys``) starts with what they hold of it."""
    kept = tuple(key for key in before if key in keys)
    if keys[: len(kept)] != kept:
        return None  # the answer's keys would go between the object's: the rewrite merges
    return Append(before, tuple(key for key in before if key not in keys), keys[len(kept) :])


def finish(
    tree: OneTree, data: dict[str, Any], tidied: AtMerge | None = None
) -> dict[str, Any] | None:
    """``data`` tidied in place into the client's response, or None, ``data`` as it was
    (but for ``__typename`` values, and the objects tidied as answers were merged, which
    hold what the client selected), when it must be shaped: a selected key is missing
    (something failed or was not found), or one object stands at two paths that select
    differently. ``tidied``: what the execution tidied as it merged (``tree.at_merge``, its
    positions left out here), if anything."""
    steps = tree.rest if tidied is not None and tidied is tree.at_merge else tree.steps
    if steps.position is None and not steps.below:
        return data
    found: dict[int, tuple[dict[str, Any], Position]] = {}
    if not _visit(data, steps, found):
        return None
    for obj, position in found.values():
        keys = position.keys
        if len(obj) != len(keys) or tuple(obj) != keys:
            values = [obj[key] for key in keys]
            obj.clear()
            obj.update(zip(keys, values, strict=True))
    return data


def _visit(value: Any, step: _Step, found: dict[int, tuple[dict[str, Any], Position]]) -> bool:
    """Collect the objects at ``step``'s positions below ``value``; False when one lacks a
    selected key or is met at two positions selecting differently."""
    if value is None:
        return True
    if isinstance(value, list):
        items = step.below.get("@")
        return items is not None and all(_visit(item, items, found) for item in value)
    if not isinstance(value, dict):
        return False  # not what the schema says: the shaper reports it
    position = step.position
    if position is not None:
        if position.typename is not None:
            value["__typename"] = position.typename
        if not step.keyset <= value.keys():
            return False
        if found.setdefault(id(value), (value, position))[1].keys != position.keys:
            return False
    for key, below in step.below.items():
        if key in value and not _visit(value[key], below, found):
            return False
    return True


def _typename_positions(
    root: tuple[Selection, ...],
    selections: tuple[Selection, ...],
    path: tuple[str, ...],
    out: dict[tuple[str, ...], Position],
) -> None:
    """Every position below ``path`` whose objects the client asked the ``__typename`` of
    (only plain fields: :func:`_plain` held); keys are those of every field merged there."""
    for field in selections:
        assert isinstance(field, Field)
        if not field.selections:
            continue
        below = (*path, field.response_key, *("@",) * _list_depth(field))
        if below not in out and any(
            isinstance(s, Field) and s.name == "__typename" for s in field.selections
        ):
            keys = _keys_at(root, below)
            assert keys is not None
            out[below] = Position(below, keys, field.type_name)
        _typename_positions(root, field.selections, below, out)


def _list_depth(field: Field) -> int:
    depth = 0
    output = field.output_type
    while not isinstance(output, GraphQLNamedType):
        if isinstance(output, GraphQLList):
            depth += 1
        output = output.of_type
    return depth


def _plain(selections: tuple[Selection, ...], supergraph_schema: GraphQLSchema | None) -> bool:
    """No selection below needs the shaper: every one a field without ``@skip``/``@include``
    on an object type, no introspection, no enum with values the API hides."""
    for selection in selections:
        if not isinstance(selection, Field) or selection.directives:
            return False
        if selection.name in ("__schema", "__type"):
            return False
        named = get_named_type(selection.output_type)
        if is_abstract_type(named):
            return False
        if isinstance(named, GraphQLEnumType) and _hides_values(named, supergraph_schema):
            return False
        if not _plain(selection.selections, supergraph_schema):
            return False
    return True


def _hides_values(enum: GraphQLEnumType, supergraph_schema: GraphQLSchema | None) -> bool:
    whole = supergraph_schema.get_type(enum.name) if supergraph_schema is not None else None
    return isinstance(whole, GraphQLEnumType) and len(whole.values) != len(enum.values)


@dataclass(frozen=True, slots=True)
class _Writer:
    """A fetch of the plan: its node, and where it stands (per level from the root, its
    branch's index and whether that level runs its branches in sequence)."""

    node: FetchNode | FlattenNode
    address: tuple[tuple[int, bool], ...]

    def before(self, other: _Writer) -> bool:
        """Whether this fetch's answer is merged before ``other`` is sent."""
        for (mine, sequence), (theirs, _) in zip(self.address, other.address, strict=False):
            if mine != theirs:
                return sequence and mine < theirs
        return False


@dataclass(frozen=True, slots=True)
class _Write:
    """The keys a fetch writes on the objects at one path; ``own``: the path it is sent
    for (a Flatten path, or the root), not one below it."""

    keys: Keys
    writer: _Writer
    own: bool


def _fetched(
    node: PlanNode | None,
    out: list[tuple[tuple[str, ...], SelectionSetNode, _Writer]],
    address: tuple[tuple[int, bool], ...],
) -> bool:
    """Every fetch's selection with the response path it is written at (each Flatten path
    of an entity fetch; the root for a root fetch) and the fetch; False for an
    introspection node (the router answers it from its own schema)."""
    if node is None:
        return True
    if isinstance(node, IntrospectionNode):
        return False
    if isinstance(node, FetchNode):
        out.append(((), _operation_selections(node.operation), _Writer(node, address)))
        return True
    if isinstance(node, FlattenNode):
        writer = _Writer(node, address)
        entities = _operation_selections(node.node.operation)
        for selection in entities.selections:
            if isinstance(selection, FieldNode) and selection.selection_set is not None:
                out.extend((path, selection.selection_set, writer) for path in node.paths)
        return True
    assert isinstance(node, SequenceNode | ParallelNode)
    sequence = isinstance(node, SequenceNode)
    return all(
        _fetched(child, out, (*address, (index, sequence)))
        for index, child in enumerate(node.nodes)
    )


def _operation_selections(operation: str) -> SelectionSetNode:
    definition = parse(operation, no_location=True).definitions[0]
    assert isinstance(definition, OperationDefinitionNode)
    return definition.selection_set


def _written(
    selections: tuple[Selection, ...],
    fetched: list[SelectionSetNode],
    path: tuple[str, ...],
    out: dict[tuple[str, ...], list[_Write]],
    writer: _Writer,
    own: bool = True,
) -> None:
    """Record the keys a fetch writes on the objects at ``path`` and, following the fields
    the client selected there, below it."""
    fields: dict[str, list[FieldNode]] = {}
    for selection_set in fetched:
        _fetched_fields(selection_set, fields)
    out.setdefault(path, []).append(_Write(tuple(fields), writer, own))
    for field in selections:
        assert isinstance(field, Field)
        below = fields.get(field.response_key)
        if field.selections and below:
            sets = [node.selection_set for node in below if node.selection_set is not None]
            at = (*path, field.response_key, *("@",) * _list_depth(field))
            _written(field.selections, sets, at, out, writer, own=False)


def _fetched_fields(selection_set: SelectionSetNode, out: dict[str, list[FieldNode]]) -> None:
    """A fetch's fields by response key, inline fragments flattened (over-counting keys
    only ever tidies more)."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            out.setdefault(key, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            _fetched_fields(selection.selection_set, out)
        else:
            raise _NotPlain("a fragment spread in a fetch")


def _selections_at(
    selections: tuple[Selection, ...], path: tuple[str, ...]
) -> tuple[Selection, ...] | None:
    """The client's selections on the objects at ``path`` (``@``: list elements)."""
    for step in path:
        if step == "@":
            continue
        below = [s for s in selections if isinstance(s, Field) and s.response_key == step]
        if not below:
            return None
        selections = tuple(child for field in below for child in field.selections)
    return selections


def _keys(selections: tuple[Selection, ...]) -> Keys:
    """The response keys of plain fields, once each, in the client's order."""
    return tuple(dict.fromkeys(s.response_key for s in selections if isinstance(s, Field)))


def _keys_at(selections: tuple[Selection, ...], path: tuple[str, ...]) -> Keys | None:
    """The response keys selected on the objects at ``path``."""
    at = _selections_at(selections, path)
    return None if at is None else _keys(at)
