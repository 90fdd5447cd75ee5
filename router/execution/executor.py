"""Run a query plan: send the fetches, merge their answers into one raw response tree.

Entity fetches collect every representation at their Flatten path into one ``_entities``
call, deduplicated by type and key, and merge each answer into every place it belongs.
The raw tree is keyed by the client's response keys; ``shape`` turns it into the response.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable, Mapping
from typing import Any

import orjson
from graphql import GraphQLSchema, execute_sync, parse
from opentelemetry.trace import SpanKind

from router.execution.errors import subgraph_error
from router.execution.one_tree import Append, AtMerge, Position
from router.execution.transport import SubgraphRequest, SubgraphResponse, Transport, failure
from router.execution.tree import (
    Path,
    coalesce,
    deep_merge,
    key_values,
    merge_in_order,
    objects_at,
    objects_in,
    required_values,
)
from router.planning import (
    FetchNode,
    FlattenNode,
    IntrospectionNode,
    ParallelNode,
    PlanNode,
    RequiredEntity,
    SequenceNode,
)
from router.telemetry import span

logger = logging.getLogger(__name__)

# An object waiting for an entity fetch: the position of its representation among those
# sent, the object, the number of the Flatten path it was found at (its concrete response
# paths are looked up only to report an error), and where it stands: the object or list
# holding it and its key or index there.
Placement = tuple[int, dict[str, Any], int, Any, Any]
# Per Flatten path, the position its objects are tidied to as the answer is merged, or None.
Finalising = tuple[Position | None, ...]


class PlanExecution:
    """State of one plan run: the raw data tree and the errors collected so far.

    With ``at_merge`` (router/execution/one_tree.py), the last entity fetch writing at one
    of its positions rewrites the objects there in the client's order as it merges; when
    one lacks a selected key (an entity nobody found), ``untidy`` says the response must be
    shaped."""

    def __init__(
        self,
        schema: GraphQLSchema,
        transports: Mapping[str, Transport],
        variables: Mapping[str, Any],
        context: object,
        at_merge: AtMerge | None = None,
    ) -> None:
        self.schema = schema
        self.transports = transports
        self.variables = variables
        self.context = context
        self.data: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []
        self.at_merge = at_merge
        self.untidy = False
        # Per position tidied at merge, the Flattens writing there that have not merged yet.
        self._pending = dict(at_merge.writers) if at_merge is not None else {}

    async def run(self, node: PlanNode | None) -> None:
        """Execute ``node`` and everything below it."""
        if node is None:
            return
        if isinstance(node, SequenceNode):
            for child in node.nodes:
                await self.run(child)
        elif isinstance(node, ParallelNode):
            await asyncio.gather(*(self.run(child) for child in node.nodes))
        elif isinstance(node, FlattenNode):
            await self._entities(node)
        elif isinstance(node, IntrospectionNode):
            self._introspection(node)
        else:
            await self._root(node)

    async def _root(self, fetch: FetchNode) -> None:
        self.merge_root(fetch, await self._send(fetch, self._variables(fetch)))

    def merge_root(self, fetch: FetchNode, response: SubgraphResponse) -> None:
        """Take a root fetch's answer into the response tree (and its errors)."""
        if response.data:
            (coalesce if fetch.coalesce else deep_merge)(self.data, response.data)
        for error in response.errors:
            path = error.get("path")
            if isinstance(path, list) and path:
                self._root_error(fetch, subgraph_error(error, path, fetch.subgraph))
            else:
                # No path: every root field of the fetch is affected.
                for key in fetch.response_keys:
                    self._root_error(fetch, subgraph_error(error, (key,), fetch.subgraph))

    def _root_error(self, fetch: FetchNode, error: dict[str, Any]) -> None:
        if fetch.coalesce and any(_same_error(error, known) for known in self.errors):
            return  # each subgraph asked the same node/nodes refused the same input
        self.errors.append(error)

    async def _entities(self, flatten: FlattenNode) -> None:
        fetch = flatten.node
        # Per __typename met in the response, the entity it stands for and, when its key is
        # one field of its own (and nothing is required), that field: its value, when a
        # string, is the representation's identity with the type's name (no dict scanned,
        # none built twice).
        kinds: dict[str | None, tuple[RequiredEntity, str | None]] = {}
        for entity in fetch.requires or ():
            name = _single_key(entity)
            for typename in entity.typenames or (entity.type_name,):
                kinds[typename] = (entity, name)
            if entity.type_name in entity.typenames:
                # Objects an @interfaceObject returned carry no __typename of their own.
                kinds[None] = (entity, name)
        representations: list[dict[str, Any]] = []
        index: dict[Hashable, int] = {}
        skipped: set[int] = set()  # the paths where an object is not asked for
        levels: dict[tuple[str, ...], list[Any]] = {}  # shared by paths with one prefix
        # Per path, its objects: one entity's known by a one-field key (_Uniform), or placed
        # one by one.
        at_paths: list[_Uniform | list[Placement]] = []
        for number, path in enumerate(flatten.paths):
            found = objects_in(self.data, path, levels)
            uniform = _uniform(found, kinds, index, representations) if found else None
            if uniform is not None:
                at_paths.append(uniform)
                continue
            placements: list[Placement] = []
            at_paths.append(placements)
            for obj, holder, at in found:
                type_name = obj.get("__typename")
                kind = (
                    kinds.get(type_name)
                    if type_name is None or isinstance(type_name, str)
                    else None
                )
                if kind is None:
                    skipped.add(number)
                    continue
                entity, name = kind
                representation: dict[str, Any] | None = None
                if name is not None and type(value := obj.get(name)) is str:
                    identity: Hashable = (entity.type_name, value)  # built only when new
                else:
                    representation = _representation(obj, entity)
                    if representation is None:
                        skipped.add(number)
                        continue
                    identity = _identity(representation)
                position = index.get(identity)
                if position is None:
                    if representation is None:  # the one-field key's
                        assert name is not None
                        representation = {"__typename": entity.type_name, name: value}
                    position = index[identity] = len(representations)
                    representations.append(representation)
                placements.append((position, obj, number, holder, at))
        if not representations:
            # Nothing reached this path (null parents, skipped fields, other types).
            self._skipped(self._finalising(flatten), skipped)
            return
        variables = self._variables(fetch)
        variables[fetch.representations_variable] = representations
        response = await self._send(fetch, variables, fetch.representations_variable)
        finalising = self._finalising(flatten)
        answers = (response.data or {}).get("_entities")
        if finalising is not None:
            self._skipped(finalising, skipped)
            # Errors are placed at the objects waiting: then they stay where they are.
            replace = not response.errors
            placed = (
                self._replaced(answers, at_paths, finalising) if replace else _placements(at_paths)
            )
            self._merge_in_order(answers, placed, finalising, replace=replace)
        else:
            placed = _placements(at_paths)
            if isinstance(answers, list):
                count = len(answers)
                for position, obj, *_ in placed:
                    if position < count and isinstance(answer := answers[position], dict):
                        deep_merge(obj, answer)
        if response.errors:
            located = _Located(self.data, flatten, placed)
            for error in response.errors:
                self._entity_error(error, len(representations), located, fetch.subgraph)

    def _replaced(
        self, answers: Any, at_paths: list[_Uniform | list[Placement]], finalising: Finalising
    ) -> list[Placement]:
        """Put each answer in the place of the objects of a uniform path that give their
        place to it (:class:`Append` ``replaces``; each holds just its ``__typename`` and
        key), the same answer for every object of that entity there, as
        ``_merge_in_order`` would one by one; the placements of every other object."""
        answered = answers if isinstance(answers, list) else []
        count = len(answered)
        placed: list[Placement] = []
        for number, objects in enumerate(at_paths):
            if not isinstance(objects, _Uniform):
                placed += objects
                continue
            append = _replacing(finalising[number])
            if (
                append is None
                or set(append.before) != {"__typename", objects.key}
                or {len(obj) for obj, _, _ in objects.found} != {2}
            ):
                placed += objects.placements(number)
                continue
            # Per answer these objects wait for, the answer as they take it (None: it is not
            # an object, or lacks a key they select: those objects are merged one by one).
            wholes = {
                position: _taken(answer, append)
                if position < count and isinstance(answer := answered[position], dict)
                else None
                for position in set(objects.positions)
            }
            for (obj, holder, key), position in zip(objects.found, objects.positions, strict=True):
                whole = wholes[position]
                if whole is None:
                    placed.append((position, obj, number, holder, key))
                else:
                    holder[key] = whole
        return placed

    def _finalising(self, flatten: FlattenNode) -> Finalising | None:
        """Per path of ``flatten``, the position its objects are tidied to now that its
        answer is merged: the paths no other Flatten still has to write at (None if none)."""
        positions = self.at_merge.flattens.get(id(flatten)) if self.at_merge else None
        if positions is None:
            return None
        pending = self._pending
        last: list[Position | None] = []
        for path, position in zip(flatten.paths, positions, strict=True):
            if position is not None:
                pending[path] -= 1
                if pending[path]:
                    position = None
            last.append(position)
        return tuple(last) if any(last) else None

    def _skipped(self, finalising: Finalising | None, skipped: set[int]) -> None:
        """An object not asked for at a path tidied now: it lacks what the fetch brings."""
        if finalising is not None and any(finalising[number] for number in skipped):
            self.untidy = True

    def _merge_in_order(
        self,
        answers: Any,
        placements: list[Placement],
        finalising: Finalising,
        *,
        replace: bool,
    ) -> None:
        """Merge each answer into its objects, those at a path tidied now rewritten in the
        client's order; an object there left without an answer or lacking a selected key
        makes the execution ``untidy``. With ``replace``, an object holding nothing the
        client selected gives its place to the answer instead (:class:`Append`), the same
        answer for every object of that entity at that path: a blast radius's thousands of
        objects each cost a store rather than a merge."""
        answered = answers if isinstance(answers, list) else []
        count = len(answered)
        # Per path, the Append of the objects there that give their place to the answer.
        replaced = [_replacing(at) if replace else None for at in finalising]
        # Per path, per answer, the answer as the objects there take it (None: it lacks a
        # key they select).
        taken: list[dict[int, dict[str, Any] | None]] = [{} for _ in finalising]
        for position, obj, number, holder, key in placements:
            answer = answered[position] if position < count else None
            if not isinstance(answer, dict):
                if finalising[number] is not None:
                    self.untidy = True
                continue
            append = replaced[number]
            if append is not None and tuple(obj) == append.before:
                at_path = taken[number]
                if position in at_path:
                    whole = at_path[position]
                else:
                    whole = at_path[position] = _taken(answer, append)
                if whole is not None:
                    holder[key] = whole
                    continue
            at = finalising[number]
            if at is None:
                deep_merge(obj, answer)
                continue
            if at.typename is not None:
                obj["__typename"] = at.typename
            if at.append is not None and _appended(obj, answer, at.append):
                continue
            if not merge_in_order(obj, answer, at.keys):
                self.untidy = True

    def _entity_error(
        self, error: dict[str, Any], sent: int, located: _Located, service: str
    ) -> None:
        """Report ``error`` at the objects waiting for the representation it names (of the
        ``sent`` ones), else at every object waiting for the fetch."""
        path = error.get("path")
        if (
            isinstance(path, list)
            and len(path) >= 2
            and path[0] == "_entities"
            and isinstance(path[1], int)
            and 0 <= path[1] < sent
        ):
            field = path[2] if len(path) > 2 else None
            for obj, number in located.waiting(path[1]):
                selected = located.selected(number)
                # A merged fetch asks every path for every field; report where it was asked.
                if selected is None or not isinstance(field, str) or field in selected:
                    for at in located.paths(obj, number):
                        self.errors.append(subgraph_error(error, (*at, *path[2:]), service))
            return
        # Not tied to one representation: every object waiting for this fetch is affected.
        for position in range(sent):
            for obj, number in located.waiting(position):
                for at in located.paths(obj, number):
                    self.errors.append(subgraph_error(error, at, service))

    def _introspection(self, node: IntrospectionNode) -> None:
        result = execute_sync(
            self.schema, parse(node.operation), variable_values=dict(self.variables)
        )
        if result.data:
            deep_merge(self.data, result.data)
        for error in result.errors or ():
            formatted = dict(error.formatted)
            formatted["extensions"] = {"code": "INTERNAL_SERVER_ERROR", **(error.extensions or {})}
            self.errors.append(formatted)

    def root_request(self, fetch: FetchNode) -> SubgraphRequest:
        variables = self._variables(fetch)
        return SubgraphRequest(fetch.operation, variables or None, fetch.operation_name)

    def _variables(self, fetch: FetchNode) -> dict[str, Any]:
        return {
            name: self.variables[name] for name in fetch.variable_usages if name in self.variables
        }

    async def _send(
        self, fetch: FetchNode, variables: dict[str, Any], own: str | None = None
    ) -> SubgraphResponse:
        request = SubgraphRequest(fetch.operation, variables or None, fetch.operation_name, own)
        attributes = {"opsgraph.subgraph": fetch.subgraph}
        try:
            with span(f"fetch {fetch.subgraph}", SpanKind.CLIENT, attributes):
                return await self.transports[fetch.subgraph].fetch(request, self.context)
        except Exception:
            # Transports should not raise; if one does, the request still gets an answer.
            logger.exception("Transport for subgraph %s raised", fetch.subgraph)
            return failure("Subgraph request failed")


class _Uniform:
    """The objects found at one path of a Flatten when all are of one entity known by a
    one-field key whose values are strings (the stubs ``{__typename, id}`` of a page's
    assignees, say): as ``objects_in`` found them, each with the position of its
    representation, ``key`` naming the key field. Their representations are found a path
    at a time, and their answers put in place a path at a time
    (:meth:`PlanExecution._replaced`), not an object at a time."""

    __slots__ = ("found", "key", "positions")

    def __init__(
        self, found: list[tuple[dict[str, Any], Any, Any]], key: str, positions: list[int]
    ) -> None:
        self.found = found
        self.key = key
        self.positions = positions

    def placements(self, number: int) -> list[Placement]:
        """The objects as placements at the path numbered ``number``."""
        return [
            (position, obj, number, holder, at)
            for (obj, holder, at), position in zip(self.found, self.positions, strict=True)
        ]


def _uniform(
    found: list[tuple[dict[str, Any], Any, Any]],
    kinds: Mapping[str | None, tuple[RequiredEntity, str | None]],
    index: dict[Hashable, int],
    representations: list[dict[str, Any]],
) -> _Uniform | None:
    """``found`` as a :class:`_Uniform` when its objects are all of one type whose entity
    has a one-field key and their key values are all strings, the representations not
    asked for yet appended (in the order the objects come, with the identity the objects
    placed one by one get); None otherwise."""
    type_names = {obj.get("__typename") for obj, _, _ in found}
    if len(type_names) != 1:
        return None
    (type_name,) = type_names
    kind = kinds.get(type_name) if type(type_name) is str else None
    if kind is None:
        return None
    entity, name = kind
    if name is None:
        return None
    values = [obj.get(name) for obj, _, _ in found]
    if set(map(type, values)) != {str}:
        return None
    entity_name = entity.type_name
    new = [value for value in dict.fromkeys(values) if (entity_name, value) not in index]
    # A new identity takes the next position (``len`` is read before it is added).
    positions = [index.setdefault((entity_name, value), len(index)) for value in values]
    representations.extend({"__typename": entity_name, name: value} for value in new)
    return _Uniform(found, name, positions)


def _placements(at_paths: list[_Uniform | list[Placement]]) -> list[Placement]:
    """Every object waiting, path by path, as placements."""
    placed: list[Placement] = []
    for number, objects in enumerate(at_paths):
        placed += objects.placements(number) if isinstance(objects, _Uniform) else objects
    return placed


def _replacing(at: Position | None) -> Append | None:
    """The Append of the objects tidied to ``at`` when they give their place to the answer
    (they hold nothing the client selected), else None; never at the root: nothing holds
    it."""
    if at is None or not at.path or at.typename is not None:
        return None
    append = at.append
    return append if append is not None and append.replaces else None


def _taken(answer: dict[str, Any], append: Append) -> dict[str, Any] | None:
    """``answer`` as the objects ``append`` replaces take it: itself when it holds just the
    keys they add, else those keys of it (one entity fetch answers every path it serves
    with the fields any of them selected); None when it lacks one."""
    added = append.added
    if len(added) == 1:  # a dict display: no comprehension's frame (a page takes hundreds)
        key = added[0]
        if key not in answer:
            return None
        return answer if len(answer) == 1 else {key: answer[key]}
    if tuple(answer) == added:
        return answer
    if not append.wanted.issubset(answer):
        return None
    return {key: answer[key] for key in added}


def _appended(obj: dict[str, Any], answer: dict[str, Any], append: Append) -> bool:
    """``answer`` appended to ``obj`` as ``append`` says, if they hold what it expects."""
    if tuple(obj) != append.before:
        return False
    if tuple(answer) != append.added:
        if not append.wanted.issubset(answer):
            return False
        answer = {key: answer[key] for key in append.added}  # more than this path selected
    for key in append.drops:
        del obj[key]
    obj.update(answer)
    return True


class _Located:
    """The objects waiting for an entity fetch, per representation, and their concrete
    response paths: found when an error must name them (objects are found without their
    paths otherwise)."""

    def __init__(
        self, data: dict[str, Any], flatten: FlattenNode, placements: list[Placement]
    ) -> None:
        self._data = data
        self._flatten = flatten
        self._placements = placements
        self._paths: dict[tuple[int, int], list[Path]] | None = None
        self._waiting: dict[int, list[tuple[dict[str, Any], int]]] | None = None

    def waiting(self, position: int) -> list[tuple[dict[str, Any], int]]:
        """The objects waiting for the representation at ``position``, with their path's
        number."""
        if self._waiting is None:
            self._waiting = {}
            for at, obj, number, *_ in self._placements:
                self._waiting.setdefault(at, []).append((obj, number))
        return self._waiting.get(position, [])

    def paths(self, obj: dict[str, Any], number: int) -> list[Path]:
        if self._paths is None:
            self._paths = {}
            for found, path in enumerate(self._flatten.paths):
                for at_obj, at in objects_at(self._data, path):
                    self._paths.setdefault((found, id(at_obj)), []).append(at)
        return self._paths.get((number, id(obj)), [])

    def selected(self, number: int) -> frozenset[str] | None:
        return self._flatten.selected[number] if self._flatten.selected else None


def _single_key(entity: RequiredEntity) -> str | None:
    """The key field of ``entity`` when its key is one field of its own and it requires
    nothing, else None."""
    key = entity.key
    if len(key) == 1 and not key[0].children and not entity.required:
        return key[0].name
    return None


def _representation(obj: dict[str, Any], entity: RequiredEntity) -> dict[str, Any] | None:
    """The representation of ``obj`` as ``entity``, or None when it has none: a key field is
    missing or null, or a required field's fetch failed (nothing to ask this entity)."""
    values = key_values(obj, entity.key)
    if values is None:
        return None
    representation = {"__typename": entity.type_name}
    representation.update(values)
    if entity.required:
        required = required_values(obj, entity.required)
        if required is None:
            return None
        representation.update(required)
    return representation


def _identity(representation: dict[str, Any]) -> Hashable:
    """Equal for equal representations: the values themselves when they are all strings
    (the common ``{__typename, id}``), else their JSON. Representations are built in one
    order (``__typename``, key fields in the key's order, required fields in theirs), so
    equal entities give equal tuples and equal JSON without sorting."""
    values = tuple(representation.values())
    if all(type(value) is str for value in values):
        return values
    return orjson.dumps(representation)


def _same_error(error: dict[str, Any], other: dict[str, Any]) -> bool:
    """Equal but for the subgraph that reported it."""
    return (
        error.get("message") == other.get("message")
        and error.get("path") == other.get("path")
        and error["extensions"].get("code") == (other.get("extensions") or {}).get("code")
    )
