"""``SATISFIABILITY_ERROR``: every field a query can select must be fetchable along its path.

The rule is Apollo's: walk the supergraph from its root types, one field at a time, keeping
for each path the set of *states* a plan could be in there (the type, the subgraph returning
it, and what a parent's ``@provides`` hands that subgraph). A field is satisfiable on a path
when at least one state reaches it: the subgraph resolves it (or it is provided), or the
subgraph returns a key of a subgraph resolving it, directly or through another subgraph
(:mod:`router.composition.routes`, with the field's ``@requires``). A subgraph that no path
enters never counts, nor a value type a subgraph never returns: those are fine, as in Apollo.

The planner chooses once per field for the whole selection below it: the subgraph it is in
when that one resolves the field and all that is selected below, else another subgraph
resolving the field (a root field's, or one reached by the parent's ``@key``) that does
(:mod:`router.planning.reach`). Apollo's planner can also split one selection over several
subgraphs (``profile { nick }`` from one, ``profile { age }`` from another); ours does not,
so a supergraph where some query would need that is refused with ``UNSUPPORTED_FEATURE``
naming the fields, rather than planned into an error.
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
                "and no subgraph this router can take its parent from fetches it together with "
                "the fields beside it; Apollo splits such a selection over several subgraphs, "
                "this router does not",
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
        # fetch it from there within one selection.
        self.unplannable: dict[str, set[str]] = {}

    def run(self) -> None:
        roots = [
            frozenset(_State(root, sg) for sg in self.types[root].defined_in)
            for root in ROOT_TYPES
            if root in self.types
        ]
        seen_sets: set[frozenset[_State]] = set()
        pending_sets = list(roots)
        while pending_sets:
            states = pending_sets.pop()
            if states not in seen_sets:
                seen_sets.add(states)
                pending_sets.extend(self._apollo_successors(states))
        self._check_planner([state for states in roots for state in states])

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

    def _apollo_successors(self, states: frozenset[_State]) -> list[frozenset[_State]]:
        """Every state set one selection further than ``states``; unreachable fields noted."""
        meta = self.types[next(iter(states)).type_name]
        found = self._type_conditions(meta, states)
        for field_name in self._selectable(meta):
            reached: set[_State] = set()
            reachable = False
            for state in states:
                options = self._options(state, field_name, every_route=True)
                if options is not None:
                    reachable = True
                    reached |= options
            if not reachable:
                self.unsatisfiable.setdefault(f"{meta.name}.{field_name}", set()).update(
                    state.subgraph for state in states
                )
            elif reached and self._composite(meta.fields[field_name].output_type):
                found.append(frozenset(reached))
        return found

    def _check_planner(self, roots: list[_State]) -> None:
        """Note the fields the planner cannot fetch on some query, as it chooses.

        The planner takes a field from the subgraph it is in when that subgraph resolves it
        and everything selected below; else from another subgraph resolving it (an entity
        route), one that does. So every query is plannable when each field of each state has
        an option leading to a *complete* state: one where, again, every field has such an
        option. Complete states are the greatest fixpoint of that rule (cycles count as
        complete). A root state that is not complete is traced down to the fields that
        have no option at all where the planner may stand.
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
                    pending.extend(target for alternatives in option for target in alternatives)
        complete = set(universe)
        changed = True
        while changed:
            changed = False
            for state in list(complete):
                if not self._is_complete(state, complete):
                    complete.discard(state)
                    changed = True
        seen: set[_State] = set()
        pending = [state for state in roots if state not in complete]
        while pending:
            state = pending.pop()
            if state in seen:
                continue
            seen.add(state)
            pending.extend(c for c in self._conditions_of(state) if not self._done(c, complete))
            meta = self.types[state.type_name]
            for field_name in self._selectable(meta):
                options = self._planner_options(state, field_name)
                if any(self._satisfied(option, complete) for option in options):
                    continue
                if not options:
                    coordinate = f"{meta.name}.{field_name}"
                    self.unplannable.setdefault(coordinate, set()).add(state.subgraph)
                for option in options:
                    pending.extend(
                        target
                        for alternatives in option
                        for target in alternatives
                        if not self._done(target, complete)
                    )

    def _done(self, state: _State, complete: set[_State]) -> bool:
        return state in complete or not self._composite(state.type_name)

    def _satisfied(self, option: tuple[frozenset[_State], ...], complete: set[_State]) -> bool:
        return all(
            any(self._done(target, complete) for target in alternatives) for alternatives in option
        )

    def _is_complete(self, state: _State, complete: set[_State]) -> bool:
        if not all(self._done(c, complete) for c in self._conditions_of(state)):
            return False
        return all(
            any(self._satisfied(o, complete) for o in self._planner_options(state, field_name))
            for field_name in self._selectable(self.types[state.type_name])
        )

    def _conditions_of(self, state: _State) -> list[_State]:
        meta = self.types[state.type_name]
        return [s for states in self._type_conditions(meta, frozenset({state})) for s in states]

    def _planner_options(
        self, state: _State, field_name: str
    ) -> list[tuple[frozenset[_State], ...]]:
        """The planner's ways to fetch the field from ``state``: each a tuple of requirements
        (all needed), each requirement the states one of which must be complete."""
        meta = self.types[state.type_name]
        field_meta = meta.fields[field_name]
        if state.type_name in ROOT_TYPES:
            return [
                (frozenset({_State(field_meta.output_type, sg, field_meta.provides.get(sg, ()))}),)
                for sg in sorted(field_meta.resolvable_in)
            ]
        local = self._options(state, field_name, every_route=False)
        provided = any(p.name == field_name for p in state.provided)
        if state.subgraph in field_meta.resolvable_in or provided:
            assert local is not None
            options: list[tuple[frozenset[_State], ...]] = [(frozenset(local),)]
            if meta.kind is TypeKind.OBJECT and self._composite(field_meta.output_type):
                # Taken from another subgraph when what is selected below is out of reach here.
                for route in entity_routes(self.types, state.type_name, field_name, state.subgraph):
                    provides = field_meta.provides.get(route.target, ())
                    target = _State(field_meta.output_type, route.target, provides)
                    options.append((frozenset({target}),))
            return options
        if meta.kind is TypeKind.INTERFACE:
            # Asked per object the subgraph returns here: each must have an option.
            requirements = []
            for member in sorted(meta.possible_types.get(state.subgraph, frozenset())):
                member_state = _State(member, state.subgraph, state.provided)
                member_options = self._planner_options(member_state, field_name)
                if not member_options:
                    return []
                requirements.append(
                    frozenset(t for option in member_options for a in option for t in a)
                )
            return [tuple(requirements)]
        return [(frozenset({target}),) for target in local or ()]

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
            if options:
                return options
            # The subgraph's interface lacks the field: each object it returns must reach it.
            for member in sorted(meta.possible_types.get(state.subgraph, frozenset())):
                if field_name not in self.types[member].fields:
                    return None
                found = self._options(
                    _State(member, state.subgraph, state.provided), field_name, every_route
                )
                if found is None:
                    return None
                options |= found
            return options
        for route in entity_routes(self.types, state.type_name, field_name, state.subgraph):
            provides = field_meta.provides.get(route.target, ())
            options.add(_State(field_meta.output_type, route.target, provides))
        return options or None


def _resolvers(types: Mapping[str, TypeMetadata], coordinate: str) -> list[str]:
    type_name, field_name = coordinate.split(".", 1)
    return sorted(types[type_name].fields[field_name].resolvable_in)
