"""Whether one fetch position can plan a whole selection: which subgraphs to take a field from.

A field several subgraphs resolve (``@shareable``) may return a value type whose fields
differ between them: taking it from the subgraph the parent came from can leave a selected
sub-field out of reach, while other subgraphs resolving the field (reached by the parent's
``@key``) have it. The builder then splits the field's selection (:func:`split_field`): what
the parent's subgraph fetches stays there, each other part is fetched from a subgraph that
has it and merged into the same object, as Apollo's planner does; a query's root field is
split over the subgraphs resolving it the same way (:func:`split_root_field`). The planner
asks :func:`fetchable` when picking the subgraph of a root field. All follow the builder's
rules: a field stays in the subgraph resolving it (or the one a parent's ``@provides`` hands
it to), with what it cannot fetch below split off to other subgraphs; at an abstract type, a
field the subgraph cannot answer for (or not for what is selected below) is asked per
concrete type; any other field moves through an entity route
(:mod:`router.composition.routes`), to the subgraph fetching the most of its selection.
"""

from __future__ import annotations

from dataclasses import replace

from router.composition import KeyField, Supergraph
from router.composition.field_set import merge_field_sets
from router.composition.routes import entity_routes
from router.planning.abstract import AbstractTypes
from router.planning.operation import Field, Fragment, Selection


def fetchable(
    supergraph: Supergraph,
    subgraph: str,
    type_name: str,
    selections: tuple[Selection, ...],
    provided: tuple[KeyField, ...] = (),
) -> bool:
    """Whether a fetch to ``subgraph`` positioned at ``type_name`` plans every selection."""
    return _Reach(supergraph).selections(subgraph, type_name, selections, provided)


def field_fetchable(
    supergraph: Supergraph,
    subgraph: str,
    type_name: str,
    selected: Field,
    provided: tuple[KeyField, ...] = (),
) -> bool:
    """Whether ``subgraph`` resolves ``selected`` itself and plans its whole selection below
    (splitting off what it cannot fetch)."""
    return _Reach(supergraph).local(subgraph, type_name, selected, provided)


def fetched_count(supergraph: Supergraph, subgraph: str, type_name: str, selected: Field) -> int:
    """How many of the selections below ``selected`` ``subgraph`` fetches itself when it
    resolves the field (all of them for a leaf it resolves; 0 when it does not resolve it)."""
    reach = _Reach(supergraph)
    meta = supergraph.field(type_name, selected.name)
    if meta is None or subgraph not in meta.resolvable_in:
        return 0
    if not selected.selections:
        return 1
    return len(reach.fetched_by(subgraph, type_name, selected, selected.selections))


def split_root_field(
    supergraph: Supergraph, candidates: list[str], root: str, selected: Field
) -> list[tuple[str, Field]] | None:
    """A root field no single candidate fetches whole, split over several: each subgraph with
    the part of the selection it fetches (the first candidate taking all it can, the next
    what is left that it can, ...). ``None`` when some selection no candidate fetches."""
    reach = _Reach(supergraph)
    parts: list[tuple[str, Field]] = []
    left = selected.selections
    for candidate in candidates:
        part = reach.fetched_by(candidate, root, selected, left)
        if part:
            parts.append((candidate, replace(selected, selections=part)))
            left = tuple(child for child in left if child not in part)
    return parts if not left and len(parts) > 1 else None


def split_field(
    supergraph: Supergraph,
    subgraph: str,
    type_name: str,
    selected: Field,
    provided: tuple[KeyField, ...] = (),
) -> tuple[tuple[Selection, ...], tuple[Selection, ...], tuple[Selection, ...]] | None:
    """For a field ``subgraph`` resolves: the selections below it that it fetches itself, a
    part another subgraph resolving the field fetches (reached by the parent's key), and
    what is left for yet another. ``None`` when ``subgraph`` fetches them all, or some
    selection no subgraph reached that way fetches."""
    reach = _Reach(supergraph)
    here, rest = reach.partition(subgraph, type_name, selected, provided)
    if not rest or not reach.rest_elsewhere(subgraph, type_name, selected, rest):
        return None
    for route in entity_routes(supergraph.types, type_name, selected.name, subgraph):
        part = reach.fetched_by(route.target, type_name, selected, rest)
        if part:
            return here, part, tuple(child for child in rest if child not in part)
    raise AssertionError("rest_elsewhere found a subgraph for every selection")


class _Reach:
    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.abstract = AbstractTypes(supergraph)

    def selections(
        self,
        subgraph: str,
        type_name: str,
        selections: tuple[Selection, ...],
        provided: tuple[KeyField, ...],
    ) -> bool:
        for selection in selections:
            if isinstance(selection, Fragment):
                if not self._fragment(subgraph, type_name, selection, provided):
                    return False
            elif not self._field(subgraph, type_name, selection, provided):
                return False
        return True

    def _fragment(
        self, subgraph: str, type_name: str, fragment: Fragment, provided: tuple[KeyField, ...]
    ) -> bool:
        condition = fragment.type_condition
        if condition is None or self.abstract.covers(condition, type_name):
            return self.selections(subgraph, type_name, fragment.selections, provided)
        if not self.abstract.is_abstract(type_name):
            return True  # an object never matches a disjoint type condition
        possible_in = self.abstract.possible_in
        if not possible_in(subgraph, type_name) & possible_in(subgraph, condition):
            return True  # this subgraph never returns an object of that type here
        return self.selections(subgraph, condition, fragment.selections, provided)

    def _field(
        self, subgraph: str, type_name: str, selected: Field, provided: tuple[KeyField, ...]
    ) -> bool:
        if selected.name == "__typename":
            return True
        meta = self.supergraph.field(type_name, selected.name)
        if meta is None:
            return False
        if self.local(subgraph, type_name, selected, provided):
            return True
        if self.abstract.is_abstract(type_name):
            # Asked per object type the subgraph returns here.
            return all(
                self._field(subgraph, member, selected, provided)
                for member in sorted(self.abstract.possible_in(subgraph, type_name))
            )
        return any(
            self.local(route.target, type_name, selected, ())
            for route in entity_routes(self.supergraph.types, type_name, selected.name, subgraph)
        )

    def local(
        self, subgraph: str, type_name: str, selected: Field, provided: tuple[KeyField, ...]
    ) -> bool:
        """Whether ``subgraph`` resolves the field here and plans what is selected below,
        splitting off to another subgraph what it cannot fetch itself."""
        meta = self.supergraph.field(type_name, selected.name)
        if meta is None:
            return False
        handed = next((p for p in provided if p.name == selected.name), None)
        if subgraph not in meta.resolvable_in and handed is None:
            return False
        _, rest = self.partition(subgraph, type_name, selected, provided)
        return not rest or self.rest_elsewhere(subgraph, type_name, selected, rest)

    def partition(
        self, subgraph: str, type_name: str, selected: Field, provided: tuple[KeyField, ...]
    ) -> tuple[tuple[Selection, ...], tuple[Selection, ...]]:
        """The selections below a field ``subgraph`` resolves that it fetches, and the rest."""
        meta = self.supergraph.field(type_name, selected.name)
        assert meta is not None
        handed = next((p for p in provided if p.name == selected.name), None)
        below = merge_field_sets(
            meta.provides.get(subgraph, ()), handed.children if handed is not None else ()
        )
        here: list[Selection] = []
        rest: list[Selection] = []
        for child in selected.selections:
            fetched = self.selections(subgraph, selected.type_name, (child,), below)
            (here if fetched else rest).append(child)
        return tuple(here), tuple(rest)

    def rest_elsewhere(
        self, subgraph: str, type_name: str, selected: Field, rest: tuple[Selection, ...]
    ) -> bool:
        """Whether each selection of ``rest`` is fetched by some other subgraph resolving the
        field, reached by the parent's key."""
        if self.abstract.is_abstract(type_name):
            return False
        routes = entity_routes(self.supergraph.types, type_name, selected.name, subgraph)
        left = set(range(len(rest)))
        for route in routes:
            part = self.fetched_by(route.target, type_name, selected, rest)
            left -= {index for index, child in enumerate(rest) if child in part}
        return not left

    def fetched_by(
        self, subgraph: str, type_name: str, selected: Field, children: tuple[Selection, ...]
    ) -> tuple[Selection, ...]:
        """Of ``children`` (selections below the field), those ``subgraph`` fetches itself
        when it resolves the field; none when it does not."""
        meta = self.supergraph.field(type_name, selected.name)
        if meta is None or subgraph not in meta.resolvable_in:
            return ()
        below = meta.provides.get(subgraph, ())
        return tuple(
            child
            for child in children
            if self.selections(subgraph, selected.type_name, (child,), below)
        )
