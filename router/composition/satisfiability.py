"""``SATISFIABILITY_ERROR``: every field a query can select must be fetchable along its path.

The rule is Apollo's: walk the supergraph from its root types, one field at a time, keeping
for each path the set of *states* a plan could be in there (the type, the subgraph returning
it, and what a parent's ``@provides`` hands that subgraph). A field is satisfiable on a path
when at least one state reaches it: the subgraph resolves it (or it is provided), or the
subgraph returns a key of a subgraph resolving it, directly or through another subgraph
(:mod:`router.composition.routes`, with the field's ``@requires``). A subgraph that no path
enters never counts, nor a value type a subgraph never returns: those are fine, as in Apollo.

The planner takes a field from the subgraph it is in when that one resolves it, and what
that subgraph cannot fetch below it from other subgraphs resolving the field, reached by
the parent's ``@key`` (``profile { nick }`` here, ``profile { age }`` there, merged);
a query's root field comes from one subgraph that fetches its whole selection,
or is split between several (:mod:`router.planning.reach`). Where some query would need a
split the planner does not make (below a subscription's root field), the supergraph is
refused with ``UNSUPPORTED_FEATURE`` naming the fields, rather than planned into an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from router.composition.field_set import merge_field_sets
from router.composition.model import CompositionIssue, KeyField, TypeKind, TypeMetadata
from router.composition.routes import entity_routes
from router.composition.spelling import quoted

ROOT_TYPES = ("Query", "Mutation", "Subscription")


@dataclass(frozen=True, slots=True)
class _State:
    """A plan positioned at ``type_name`` in a response of ``subgraph``."""

    type_name: str
    subgraph: str
    # Fields below this position that a parent's ``@provides`` makes ``subgraph`` resolve.
    provided: tuple[KeyField, ...] = ()


def check_satisfiability(
    types: Mapping[str, TypeMetadata],
    issues: list[CompositionIssue],
    inaccessible: frozenset[str] = frozenset(),
) -> None:
    """Append one issue per field some query path cannot reach (or this router cannot plan)."""
    walk = _Walk(types, inaccessible)
    walk.run()
    for coordinate in sorted(walk.unsatisfiable):
        sources = sorted(walk.unsatisfiable[coordinate])
        resolvers = _resolvers(types, coordinate)
        issues.append(
            CompositionIssue(
                "SATISFIABILITY_ERROR",
                f'Field "{coordinate}" cannot be reached from subgraph {quoted(sources)}, '
                f'which returns "{coordinate.split(".")[0]}" on a query path: no subgraph '
                f"resolving it ({quoted(resolvers)}) has a resolvable @key (with its @requires) "
                "that it can provide, directly or through another subgraph",
            )
        )
    for coordinate in sorted(set(walk.unplannable) - set(walk.unsatisfiable)):
        sources = sorted(walk.unplannable[coordinate])
        issues.append(
            CompositionIssue(
                "UNSUPPORTED_FEATURE",
                f'Field "{coordinate}" cannot be fetched from subgraph {quoted(sources)}, '
                "and this router cannot split the selection it is in over other subgraphs "
                "there (it splits the selection below a query's root field, and below a field "
                "of an entity by the entity's @key)",
            )
        )


class _Walk:
    """Both traversals of the query paths: Apollo's rule, then the planner's own choices."""

    def __init__(self, types: Mapping[str, TypeMetadata], inaccessible: frozenset[str]) -> None:
        self.types = types
        self.inaccessible = inaccessible
        # Coordinate → subgraphs of a state set none of which could reach it (Apollo's rule).
        self.unsatisfiable: dict[str, set[str]] = {}
        # Coordinate → subgraphs the planner may stand in at its parent, without any way to
        # fetch it from there.
        self.unplannable: dict[str, set[str]] = {}
        self.options_cache: dict[tuple[_State, str], list[_Option]] = {}

    def run(self) -> None:
        roots = [
            frozenset(_State(root, sg) for sg in self.types[root].defined_in)
            for root in ROOT_TYPES
            if root in self.types
        ]
        self.unsatisfiable = self._apollo_walk(roots)
        self._check_planner([state for states in roots for state in states])

    def _apollo_walk(self, starts: list[frozenset[_State]]) -> dict[str, set[str]]:
        """Apollo's rule from ``starts``: per coordinate, the subgraphs of the state sets on
        a path that could not reach it."""
        unsatisfiable: dict[str, set[str]] = {}
        seen: set[frozenset[_State]] = set()
        pending = list(starts)
        while pending:
            states = pending.pop()
            if states not in seen:
                seen.add(states)
                pending.extend(self._apollo_successors(states, unsatisfiable))
        return unsatisfiable

    def _selectable(self, meta: TypeMetadata) -> list[str]:
        if meta.kind not in (TypeKind.OBJECT, TypeKind.INTERFACE):
            return []
        return [
            name
            for name in sorted(meta.fields)
            if f"{meta.name}.{name}" not in self.inaccessible
            # A field no subgraph resolves is reported as EXTERNAL_MISSING_ON_BASE.
            and meta.fields[name].resolvable_in
        ]

    def _composite(self, type_name: str) -> bool:
        meta = self.types.get(type_name)
        return meta is not None and meta.kind not in (TypeKind.ENUM, TypeKind.SCALAR)

    def _apollo_successors(
        self, states: frozenset[_State], unsatisfiable: dict[str, set[str]]
    ) -> list[frozenset[_State]]:
        """Every state set one selection further than ``states``; unreachable fields noted."""
        meta = self.types[next(iter(states)).type_name]
        found = self._type_conditions(meta, states)
        for field_name in self._selectable(meta):
            if meta.name == "Mutation":
                self._mutation_field(meta, field_name, unsatisfiable)
                continue
            reached: set[_State] = set()
            reachable = False
            for state in states:
                options = self._options(state, field_name, every_route=True)
                if options is not None:
                    reachable = True
                    reached |= options
            if not reachable:
                unsatisfiable.setdefault(f"{meta.name}.{field_name}", set()).update(
                    state.subgraph for state in states
                )
            elif reached and self._composite(meta.fields[field_name].output_type):
                found.append(frozenset(reached))
        return found

    def _mutation_field(
        self, meta: TypeMetadata, field_name: str, unsatisfiable: dict[str, set[str]]
    ) -> None:
        """A mutation is called in one subgraph: Apollo asks that some subgraph resolving it
        satisfies every query below it alone, and reports them all when none does."""
        field_meta = meta.fields[field_name]
        if not self._composite(field_meta.output_type):
            return
        walks = [
            self._apollo_walk(
                [frozenset({_State(field_meta.output_type, sg, field_meta.provides.get(sg, ()))})]
            )
            for sg in sorted(field_meta.resolvable_in)
        ]
        if all(walks):
            for walk in walks:
                for coordinate, subgraphs in walk.items():
                    unsatisfiable.setdefault(coordinate, set()).update(subgraphs)

    def _check_planner(self, roots: list[_State]) -> None:
        """Note the fields the planner cannot fetch on some query, as it chooses.

        The planner takes a field from the subgraph it is in when that subgraph resolves it,
        splitting off what it cannot fetch below to one other subgraph resolving the field
        (reached by the parent's key); a field it does not resolve moves through an entity
        route. A field is *fetchable* at a state when one of those options works for every
        selection below it; a state is complete when all its fields are. Both are the
        greatest fixpoint of those rules (cycles count as fetchable). A root state that is
        not complete is traced down to the fields that have no option at all there.
        """
        universe: set[_State] = set()
        pending = list(roots)
        while pending:
            state = pending.pop()
            if state in universe or not self._composite(state.type_name):
                continue
            universe.add(state)
            pending.extend(self._conditions_of(state))
            for field_name in self._selectable(self.types[state.type_name]):
                for option in self._planner_options(state, field_name):
                    pending.extend(_targets(option))
        fetchable = {
            (state, field_name)
            for state in universe
            for field_name in self._selectable(self.types[state.type_name])
        }
        changed = True
        while changed:
            changed = False
            for state, field_name in sorted(fetchable, key=_pair_order):
                options = self._planner_options(state, field_name)
                if not any(self._satisfied(option, fetchable) for option in options):
                    fetchable.discard((state, field_name))
                    changed = True
        seen: set[_State] = set()
        pending = [state for state in roots if not self._complete(state, fetchable)]
        while pending:
            state = pending.pop()
            if state in seen:
                continue
            seen.add(state)
            pending.extend(
                c for c in self._conditions_of(state) if not self._complete(c, fetchable)
            )
            meta = self.types[state.type_name]
            for field_name in self._selectable(meta):
                if (state, field_name) in fetchable:
                    continue
                options = self._planner_options(state, field_name)
                if not options:
                    coordinate = f"{meta.name}.{field_name}"
                    self.unplannable.setdefault(coordinate, set()).add(state.subgraph)
                for option in options:
                    pending.extend(t for t in _targets(option) if not self._complete(t, fetchable))

    def _complete(self, state: _State, fetchable: set[tuple[_State, str]]) -> bool:
        if not self._composite(state.type_name):
            return True
        return all(
            (state, field_name) in fetchable
            for field_name in self._selectable(self.types[state.type_name])
        ) and all(self._complete(c, fetchable) for c in self._conditions_of(state))

    def _satisfied(self, option: _Option, fetchable: set[tuple[_State, str]]) -> bool:
        if isinstance(option, _Each):
            return all(
                any(self._satisfied(o, fetchable) for o in member) for member in option.members
            )
        if isinstance(option, _Split):
            states = (option.here, *option.there)
            fields = self._selectable(self.types[option.here.type_name])
            return all(
                any((state, name) in fetchable for state in states) for name in fields
            ) and self._conditions_split(states, fetchable)
        return all(
            any(self._complete(target, fetchable) for target in alternatives)
            for alternatives in option
        )

    def _conditions_split(
        self, states: tuple[_State, ...], fetchable: set[tuple[_State, str]]
    ) -> bool:
        """Below a split abstract type, each type condition is fetched by one of them."""
        by_member: dict[str, list[_State]] = {}
        for state in states:
            for condition in self._conditions_of(state):
                by_member.setdefault(condition.type_name, []).append(condition)
        return all(
            any(self._complete(c, fetchable) for c in conditions)
            for conditions in by_member.values()
        )

    def _conditions_of(self, state: _State) -> list[_State]:
        meta = self.types[state.type_name]
        return [s for states in self._type_conditions(meta, frozenset({state})) for s in states]

    def _planner_options(self, state: _State, field_name: str) -> list[_Option]:
        """The planner's ways to fetch the field from ``state``: a split, or a tuple of
        requirements (all needed), each requirement the states one of which must be complete.
        """
        key = (state, field_name)
        if key not in self.options_cache:
            self.options_cache[key] = self._compute_planner_options(state, field_name)
        return self.options_cache[key]

    def _compute_planner_options(self, state: _State, field_name: str) -> list[_Option]:
        meta = self.types[state.type_name]
        field_meta = meta.fields[field_name]
        if state.type_name in ROOT_TYPES:
            states = [
                _State(field_meta.output_type, sg, field_meta.provides.get(sg, ()))
                for sg in sorted(field_meta.resolvable_in)
            ]
            options: list[_Option] = [(frozenset({target}),) for target in states]
            if state.type_name == "Query" and self._composite(field_meta.output_type):
                # A query's root field may be asked of several subgraphs, each for its part.
                options.extend(_Split(a, tuple(b for b in states if b != a)) for a in states)
            return options
        local = self._options(state, field_name, every_route=False)
        provided = any(p.name == field_name for p in state.provided)
        if state.subgraph in field_meta.resolvable_in or provided:
            assert local is not None
            options = [(frozenset(local),)]
            if meta.kind is TypeKind.INTERFACE and self._composite(field_meta.output_type):
                # What is selected below out of reach here: asked per object type instead.
                exploded = self._exploded(state, field_name)
                if exploded is not None:
                    options.append(exploded)
            if meta.kind is TypeKind.OBJECT and self._composite(field_meta.output_type):
                # What cannot be fetched below here comes from another subgraph resolving it.
                (here,) = local
                options.append(_Split(here, self._route_states(state, field_name, state.subgraph)))
            return options
        if meta.kind is TypeKind.INTERFACE:
            exploded = self._exploded(state, field_name)
            return [exploded] if exploded is not None else []
        # Moved to a subgraph resolving it, which may split off in turn what it cannot fetch.
        options = []
        for target in sorted(local or (), key=_state_order):
            options.append((frozenset({target}),))
            if meta.kind is TypeKind.OBJECT and self._composite(field_meta.output_type):
                there = self._route_states(state, field_name, target.subgraph)
                options.append(_Split(target, there))
        return options

    def _exploded(self, state: _State, field_name: str) -> _Each | None:
        """The field asked per object type the subgraph returns at an interface ``state``:
        each must have an option; ``None`` when one has none."""
        meta = self.types[state.type_name]
        members = []
        for member in sorted(meta.possible_types.get(state.subgraph, frozenset())):
            member_options = self._planner_options(
                _State(member, state.subgraph, state.provided), field_name
            )
            if not member_options:
                return None
            members.append(tuple(member_options))
        return _Each(tuple(members))

    def _route_states(self, state: _State, field_name: str, source: str) -> tuple[_State, ...]:
        """Where the field's entity routes from ``source`` lead (``state``'s type and field)."""
        field_meta = self.types[state.type_name].fields[field_name]
        return tuple(
            _State(field_meta.output_type, route.target, field_meta.provides.get(route.target, ()))
            for route in entity_routes(self.types, state.type_name, field_name, source)
        )

    def _type_conditions(
        self, meta: TypeMetadata, states: frozenset[_State]
    ) -> list[frozenset[_State]]:
        """``... on Member`` below an abstract type: only subgraphs returning that member."""
        if meta.kind not in (TypeKind.INTERFACE, TypeKind.UNION):
            return []
        members = sorted({m for possible in meta.possible_types.values() for m in possible})
        found = []
        for member in members:
            narrowed = frozenset(
                _State(member, state.subgraph, state.provided)
                for state in states
                if member in meta.possible_types.get(state.subgraph, frozenset())
            )
            if narrowed:
                found.append(narrowed)
        return found

    def _options(self, state: _State, field_name: str, every_route: bool) -> set[_State] | None:
        """The states selecting the field from ``state`` leads to; ``None`` if unreachable.

        Without ``every_route``, only the subgraph ``state`` is in when it resolves the field
        (the planner's first choice; :meth:`_planner_options` adds the others); with it, as
        Apollo's rule counts, also every move to another subgraph first.
        """
        meta = self.types[state.type_name]
        field_meta = meta.fields[field_name]
        if state.type_name in ROOT_TYPES:
            # Root fields are fetched from any subgraph resolving them.
            return {
                _State(field_meta.output_type, sg, field_meta.provides.get(sg, ()))
                for sg in field_meta.resolvable_in
            }
        options: set[_State] = set()
        provided = next((p for p in state.provided if p.name == field_name), None)
        if state.subgraph in field_meta.resolvable_in or provided is not None:
            below = merge_field_sets(
                field_meta.provides.get(state.subgraph, ()),
                provided.children if provided is not None else (),
            )
            options.add(_State(field_meta.output_type, state.subgraph, below))
            if not every_route:
                return options
        if meta.kind is TypeKind.INTERFACE:
            # Each object the subgraph returns here reaching the field (type explosion):
            # needed when its interface lacks the field, one more way for Apollo otherwise.
            members = [
                self._options(_State(m, state.subgraph, state.provided), field_name, every_route)
                for m in sorted(meta.possible_types.get(state.subgraph, frozenset()))
            ]
            exploded = None
            if all(found is not None for found in members):
                exploded = {target for found in members for target in found or ()}
            if options:
                return options | (exploded or set())
            return exploded
        for route in entity_routes(self.types, state.type_name, field_name, state.subgraph):
            provides = field_meta.provides.get(route.target, ())
            options.add(_State(field_meta.output_type, route.target, provides))
        return options or None


@dataclass(frozen=True, slots=True)
class _Split:
    """Fetch a field from ``here``'s subgraph, and what it cannot fetch below from the
    others (``there``), each a part."""

    here: _State
    there: tuple[_State, ...]


@dataclass(frozen=True, slots=True)
class _Each:
    """Asked per object type: for each member, one of its options."""

    members: tuple[tuple[_Option, ...], ...]


# A requirement tuple (each entry: states one of which must be complete), a split, or
# the field asked per object type.
_Option = tuple[frozenset[_State], ...] | _Split | _Each


def _targets(option: _Option) -> list[_State]:
    if isinstance(option, _Split):
        return [option.here, *option.there]
    if isinstance(option, _Each):
        return [t for member in option.members for o in member for t in _targets(o)]
    return [target for alternatives in option for target in alternatives]


def _state_order(state: _State) -> tuple[str, str]:
    return state.type_name, state.subgraph


def _pair_order(pair: tuple[_State, str]) -> tuple[str, str, str]:
    return pair[0].type_name, pair[0].subgraph, pair[1]


def _resolvers(types: Mapping[str, TypeMetadata], coordinate: str) -> list[str]:
    type_name, field_name = coordinate.split(".", 1)
    return sorted(types[type_name].fields[field_name].resolvable_in)
