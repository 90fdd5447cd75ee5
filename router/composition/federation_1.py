"""Federation 1 subgraphs (no federation ``@link``) upgraded to Federation 2 semantics.

Apollo's composition does not compose a Federation 1 subgraph as written: it first rewrites
it the way its ``schemaUpgrader`` does, and merges the result by the Federation 2 rules. The
rewrite needs the other subgraphs (is there a base type for an extension, which fields does
another subgraph resolve), so it runs once every subgraph has been read:

- an ``extend type`` / ``@extends`` entity needs a definition of the type in another subgraph
  (``EXTENSION_WITH_NO_BASE``); root types may be extensions only;
- ``@external`` is dropped where Federation 1 ignored it: on the key fields of such an
  extension (it resolves them from the representation), on interface fields, and in
  ``@requires`` / ``@provides`` field sets that select fields the subgraph resolves itself;
  ``@key`` on an interface and ``@requires``/``@provides`` on interface fields had no effect
  and go too;
- an ``@external`` field no ``@key``, ``@requires``, ``@provides`` or interface uses is
  removed (a type left with no field is removed, or refused if something returns it:
  ``TYPE_WITH_ONLY_UNUSED_EXTERNAL``);
- every object type becomes shareable: Apollo adds ``@shareable`` to value types and to the
  fields of entities and root types that another subgraph also resolves, which are the only
  fields sharing checks look at.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from graphql import FieldDefinitionNode

from router.composition.field_set import parse_field_set, print_field_set
from router.composition.model import CompositionIssue, KeyField, TypeKind
from router.composition.reader import mark_provided
from router.composition.spelling import named_type
from router.composition.subgraph_definition import SubgraphDefinition, SubgraphType

ROOT_TYPE_NAMES = frozenset({"Query", "Mutation", "Subscription"})
_COMPOSITE = (TypeKind.OBJECT, TypeKind.INTERFACE, TypeKind.UNION)


def upgrade_federation_1(
    subgraphs: Sequence[SubgraphDefinition], issues: list[CompositionIssue]
) -> None:
    """Rewrite every Federation 1 subgraph of ``subgraphs`` in place; problems go to ``issues``.

    Federation 2 subgraphs keep one Federation 1 rule too: the ``@external`` fields of a
    ``@key`` on an extension (``extend type`` or ``@extends``) are not really external, the
    subgraph resolves them from the representation ("fake externals" in Apollo's code).
    """
    for subgraph in subgraphs:
        if subgraph.federation_2:
            for subgraph_type in subgraph.types.values():
                if subgraph_type.is_extension:
                    for key in subgraph_type.keys:
                        _resolve_key_fields(subgraph.types, subgraph_type, key.selection)
    if all(subgraph.federation_2 for subgraph in subgraphs):
        return
    based = {
        name
        for subgraph in subgraphs
        for name, subgraph_type in subgraph.types.items()
        if subgraph_type.has_definition
    }
    for subgraph in subgraphs:
        if subgraph.federation_2:
            continue
        others = [other for other in subgraphs if other is not subgraph]
        _Upgrade(subgraph, others, based, issues).run()


class _Upgrade:
    def __init__(
        self,
        subgraph: SubgraphDefinition,
        others: list[SubgraphDefinition],
        based: set[str],
        issues: list[CompositionIssue],
    ) -> None:
        self.subgraph = subgraph
        self.types = subgraph.types
        self.others = others
        self.issues = issues
        self.extensions = [
            t
            for t in self.types.values()
            if t.kind in (TypeKind.OBJECT, TypeKind.INTERFACE) and t.is_extension
        ]
        for extension in self.extensions:
            if extension.name not in ROOT_TYPE_NAMES and extension.name not in based:
                self._issue(
                    "EXTENSION_WITH_NO_BASE",
                    f'Type "{extension.name}" is an extension type, but there is no type '
                    f'definition for "{extension.name}" in any subgraph.',
                )

    def _issue(self, code: str, message: str) -> None:
        self.issues.append(CompositionIssue(code, f"[{self.subgraph.name}] {message}"))

    def run(self) -> None:
        for subgraph_type in self.types.values():
            if subgraph_type.kind is TypeKind.INTERFACE:
                subgraph_type.keys.clear()
                subgraph_type.external_fields.clear()
                subgraph_type.requires.clear()
                subgraph_type.provides.clear()
        for extension in self.extensions:
            for key in extension.keys:
                _resolve_key_fields(self.types, extension, key.selection)
            if not extension.keys:
                for field_name in self._first_keys_elsewhere(extension):
                    extension.external_fields.discard(field_name)
            extension.has_definition = True
        for subgraph_type in self.types.values():
            self._drop_inactive_field_sets(subgraph_type)
        self._remove_unused_externals()
        mark_provided(self.types)
        for subgraph_type in self.types.values():
            if subgraph_type.kind is TypeKind.OBJECT:
                subgraph_type.shareable_type = True

    def _first_keys_elsewhere(self, extension: SubgraphType) -> set[str]:
        """Top-level fields Federation 1 resolved in an extension without a key although
        marked external: those of the first key of the type in each other subgraph (what
        Federation 1's planner asked the extension for)."""
        fields: set[str] = set()
        for other in self.others:
            other_type = other.types.get(extension.name)
            if other_type is not None and other_type.keys:
                fields.update(f.name for f in other_type.keys[0].selection)
        return fields

    def _drop_inactive_field_sets(self, subgraph_type: SubgraphType) -> None:
        """``@requires``/``@provides`` keep only what selects ``@external`` fields."""
        for field_name in list(subgraph_type.provides):
            node = subgraph_type.fields[field_name]
            target = self.types.get(named_type(node.type))
            if target is None or target.kind not in _COMPOSITE:
                del subgraph_type.provides[field_name]
                continue
            self._rewrite(subgraph_type.provides, field_name, target)
        for field_name in list(subgraph_type.requires):
            self._rewrite(subgraph_type.requires, field_name, subgraph_type)

    def _rewrite(self, field_sets: dict[str, str], field_name: str, parent: SubgraphType) -> None:
        kept = self._external_leaves(parse_field_set(field_sets[field_name]), parent)
        if kept:
            field_sets[field_name] = print_field_set(kept)
        else:
            del field_sets[field_name]

    def _external_leaves(
        self, field_set: tuple[KeyField, ...], parent: SubgraphType | None
    ) -> tuple[KeyField, ...]:
        kept: list[KeyField] = []
        for key_field in field_set:
            if parent is not None and self._is_external(parent, key_field.name):
                kept.append(key_field)
                continue
            if not key_field.children:
                continue
            children = self._external_leaves(
                key_field.children, self._field_type(parent, key_field.name)
            )
            if children:
                kept.append(KeyField(key_field.name, children))
        return tuple(kept)

    def _is_external(self, parent: SubgraphType, field_name: str) -> bool:
        if field_name in parent.external_fields:
            return True
        return parent.kind is TypeKind.INTERFACE and any(
            field_name in implementation.external_fields
            for implementation in self._implementations(parent.name)
        )

    def _field_type(self, parent: SubgraphType | None, field_name: str) -> SubgraphType | None:
        node = None if parent is None else parent.fields.get(field_name)
        return None if node is None else self.types.get(named_type(node.type))

    def _implementations(self, interface: str) -> list[SubgraphType]:
        return [t for t in self.types.values() if interface in t.interfaces]

    def _remove_unused_externals(self) -> None:
        used = self._used_fields()
        for subgraph_type in list(self.types.values()):
            unused = [
                field_name
                for field_name in subgraph_type.external_fields
                if (subgraph_type.name, field_name) not in used
            ]
            for field_name in unused:
                subgraph_type.external_fields.discard(field_name)
                del subgraph_type.fields[field_name]
            if unused and not subgraph_type.fields:
                if self._is_referenced(subgraph_type.name):
                    self._issue(
                        "TYPE_WITH_ONLY_UNUSED_EXTERNAL",
                        f"Type {subgraph_type.name} contains only external fields and all "
                        "those fields are all unused (they do not appear in any @key, "
                        "@provides or @requires).",
                    )
                else:
                    del self.types[subgraph_type.name]

    def _used_fields(self) -> set[tuple[str, str]]:
        used: set[tuple[str, str]] = set()
        for subgraph_type in self.types.values():
            for key in subgraph_type.keys:
                self._mark(used, subgraph_type, key.selection)
            for text in subgraph_type.requires.values():
                self._mark(used, subgraph_type, parse_field_set(text))
            for field_name, text in subgraph_type.provides.items():
                target = self._field_type(subgraph_type, field_name)
                self._mark(used, target, parse_field_set(text))
            if subgraph_type.kind is TypeKind.INTERFACE:
                for implementation in self._implementations(subgraph_type.name):
                    used.update((implementation.name, f) for f in subgraph_type.fields)
        return used

    def _mark(
        self,
        used: set[tuple[str, str]],
        parent: SubgraphType | None,
        field_set: Iterable[KeyField],
    ) -> None:
        if parent is None:
            return
        for key_field in field_set:
            used.add((parent.name, key_field.name))
            if parent.kind is TypeKind.INTERFACE:
                used.update((t.name, key_field.name) for t in self._implementations(parent.name))
            self._mark(used, self._field_type(parent, key_field.name), key_field.children)

    def _is_referenced(self, type_name: str) -> bool:
        for subgraph_type in self.types.values():
            if type_name in subgraph_type.members or type_name in subgraph_type.interfaces:
                return True
            for node in subgraph_type.fields.values():
                if named_type(node.type) == type_name:
                    return True
                if isinstance(node, FieldDefinitionNode) and any(
                    named_type(argument.type) == type_name for argument in node.arguments or ()
                ):
                    return True
        return False


def _resolve_key_fields(
    types: dict[str, SubgraphType], parent: SubgraphType, field_set: tuple[KeyField, ...]
) -> None:
    """The fields of an extension's key (nested ones too) are resolved, not ``@external``."""
    for key_field in field_set:
        parent.external_fields.discard(key_field.name)
        node = parent.fields.get(key_field.name)
        child = None if node is None else types.get(named_type(node.type))
        if key_field.children and child is not None:
            _resolve_key_fields(types, child, key_field.children)
