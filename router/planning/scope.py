"""Selection scopes: where the planner injects ``__typename`` and ``@key`` fields.

A scope is one object position in a subgraph operation (a field's selection set, a
type-narrowing inline fragment, or one ``... on T`` under ``_entities``). When a field of the
scope lives in another subgraph, the scope must also fetch the entity's key so the router can
build a representation; the scope remembers what it added so it is added once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    ArgumentNode,
    FieldNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    SelectionNode,
    SelectionSetNode,
    parse,
    print_ast,
)

from router.composition import KeyField
from router.composition.field_set import merge_field_sets, response_key
from router.planning.errors import PlanningError
from router.planning.operation import Field, Fragment, Selection


@dataclass(eq=False, slots=True)
class Scope:
    """One object position: its type, its response path and the client's response keys there."""

    type_name: str
    path: tuple[str, ...]
    # Client response key → (field name, printed arguments) for every field at this position.
    used_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Client fields fetched unconditionally, without alias, arguments or sub-selection.
    direct_leaves: frozenset[str] = frozenset()
    # The enclosing scope when this one is a type-narrowing fragment of the same object.
    parent: Scope | None = None
    injected: dict[str, FieldNode] = field(default_factory=dict)
    # What each injected response key selects: a second injection of the same key with
    # other nested fields (``d { size }``, then ``d { weight }``) widens the first.
    injected_fields: dict[str, KeyField] = field(default_factory=dict)
    # Fields the fetching subgraph resolves here only because a parent field ``@provides`` them.
    provided: tuple[KeyField, ...] = ()

    @classmethod
    def for_selections(
        cls,
        type_name: str,
        path: tuple[str, ...],
        selections: tuple[Selection, ...],
        parent: Scope | None = None,
    ) -> Scope:
        """A scope for ``selections`` of the client operation at ``path``."""
        used: dict[str, tuple[str, str]] = {}
        _collect_used(selections, used)
        # The client's own __typename never reaches the subgraph (the router answers it), so
        # it cannot stand in for an injected one.
        leaves = frozenset(
            s.response_key
            for s in selections
            if isinstance(s, Field)
            and s.name != "__typename"
            and not s.selections
            and not s.arguments
            and not s.directives
            and s.alias is None
        )
        return cls(type_name, path, used, leaves, parent)

    def inject_typename(self) -> None:
        """Make the subgraph return ``__typename`` here (abstract types, representations)."""
        self._inject(KeyField("__typename"))

    def inject_fields(self, fields: tuple[KeyField, ...], *, typename: bool = False) -> None:
        """Make the subgraph return ``fields`` (a key, ``@requires`` fields) here.

        ``typename`` also asks for ``__typename``, which every representation needs.
        """
        if typename:
            self.inject_typename()
        for key_field in fields:
            self._inject(key_field)

    def provides(self, field_name: str) -> bool:
        """Whether a parent's ``@provides`` makes the fetching subgraph resolve the field."""
        return any(self._matches(provided, field_name) for provided in self._provided())

    def provided_children(self, field_name: str) -> tuple[KeyField, ...]:
        """The provided selection below ``field_name`` (nested ``@provides`` paths)."""
        return next((p.children for p in self._provided() if self._matches(p, field_name)), ())

    def _matches(self, provided: KeyField, field_name: str) -> bool:
        """``provided`` names the field here (``... on Book { title }`` only on a Book)."""
        return provided.name == field_name and provided.on in (None, self.type_name)

    def _provided(self) -> tuple[KeyField, ...]:
        scope: Scope | None = self
        while scope is not None and not scope.provided:
            scope = scope.parent
        return () if scope is None else scope.provided

    def injected_nodes(self) -> list[FieldNode]:
        """The injected fields, to be placed before the client's own selections."""
        return list(self.injected.values())

    def _inject(self, key_field: KeyField) -> None:
        key = response_key(key_field)
        used = self._lookup(key)
        if used is not None and used != (key_field.name, key_field.arguments):
            # The client reused the key's response key for another field; the subgraph
            # could not return both under one name.
            raise PlanningError(
                f'Response key "{key_field.name}" on "{self.type_name}" is reserved for a '
                "federation key field; choose another alias",
                code="GRAPHQL_VALIDATION_FAILED",
            )
        holder = self._injected_in(key)
        if holder is not None:
            known = holder.injected_fields.get(key)
            if known is not None and key_field.children:
                (merged,) = merge_field_sets((known,), (key_field,))
                holder.injected_fields[key] = merged
                holder.injected[key] = key_field_node(merged)
            return
        if not key_field.children and self._is_direct_leaf(key):
            return
        self.injected[key] = key_field_node(key_field)
        self.injected_fields[key] = key_field

    def _lookup(self, response_key: str) -> tuple[str, str] | None:
        scope: Scope | None = self
        while scope is not None:
            if response_key in scope.used_keys:
                return scope.used_keys[response_key]
            scope = scope.parent
        return None

    def _injected_in(self, key: str) -> Scope | None:
        """The scope (this one or an enclosing one) that injected ``key`` already."""
        scope: Scope | None = self
        while scope is not None:
            if key in scope.injected:
                return scope
            scope = scope.parent
        return None

    def _is_direct_leaf(self, response_key: str) -> bool:
        scope: Scope | None = self
        while scope is not None:
            if response_key in scope.direct_leaves:
                return True
            scope = scope.parent
        return False


def key_field_node(key_field: KeyField) -> FieldNode:
    """A field node for one field of a field set, with its arguments and nested selection.

    Nested fields under a type condition go in inline fragments.
    """
    selection_set = None
    if key_field.children:
        plain: list[SelectionNode] = [
            key_field_node(child) for child in key_field.children if child.on is None
        ]
        conditions = list(dict.fromkeys(c.on for c in key_field.children if c.on is not None))
        for condition in conditions:
            inner = tuple(key_field_node(c) for c in key_field.children if c.on == condition)
            plain.append(
                InlineFragmentNode(
                    type_condition=NamedTypeNode(name=NameNode(value=condition)),
                    selection_set=SelectionSetNode(selections=inner),
                )
            )
        selection_set = SelectionSetNode(selections=tuple(plain))
    key = response_key(key_field)
    return FieldNode(
        alias=NameNode(value=key) if key != key_field.name else None,
        name=NameNode(value=key_field.name),
        arguments=field_set_arguments(key_field.arguments),
        selection_set=selection_set,
    )


def field_set_arguments(arguments: str) -> tuple[ArgumentNode, ...]:
    """The argument nodes of a field set's ``(name: value, ...)`` text (``""``: none)."""
    if not arguments:
        return ()
    operation = parse(f"{{ f{arguments} }}", no_location=True).definitions[0]
    selected = operation.selection_set.selections[0]  # type: ignore[attr-defined]
    return tuple(selected.arguments)


def printed_arguments(arguments: tuple[ArgumentNode, ...]) -> str:
    """Arguments as a field set writes them: ``(currency: "EUR")``, ``""`` for none."""
    return "(" + ", ".join(print_ast(a) for a in arguments) + ")" if arguments else ""


def _collect_used(selections: tuple[Selection, ...], used: dict[str, tuple[str, str]]) -> None:
    for selection in selections:
        if isinstance(selection, Fragment):
            _collect_used(selection.selections, used)
        else:
            used.setdefault(
                selection.response_key, (selection.name, printed_arguments(selection.arguments))
            )
