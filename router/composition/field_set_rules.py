"""Rules on the field sets of ``@requires`` and ``@provides`` (Federation 2 validation).

``@requires(fields:)`` names fields of the same type that the subgraph marks ``@external``;
``@provides(fields:)`` names fields of the returned type (an object, or per type condition
below a union or interface) that the subgraph marks ``@external`` (and which it then
resolves below that field only), none of them taking arguments. Every field selected at any
depth must exist in the subgraph. Anything else is refused, with Apollo's rule codes, rather
than planned on a guess.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import FieldDefinitionNode

from router.composition.field_set import parse_field_set
from router.composition.model import CompositionIssue, KeyField, TypeKind
from router.composition.spelling import named_type
from router.composition.subgraph_definition import SubgraphDefinition, SubgraphType

_COMPOSITE = frozenset({TypeKind.OBJECT, TypeKind.INTERFACE, TypeKind.UNION})


def check_field_sets(
    subgraphs: Iterable[SubgraphDefinition], issues: list[CompositionIssue]
) -> None:
    """Append an issue for every invalid ``@requires``/``@provides`` field set."""
    for subgraph in subgraphs:
        for subgraph_type in subgraph.types.values():
            if subgraph_type.kind is TypeKind.INTERFACE:
                _unsupported_on_interface(subgraph, subgraph_type, issues)
                continue
            for field_name, text in subgraph_type.requires.items():
                where = _where("requires", text, subgraph_type.name, field_name, subgraph.name)
                rules = _Rules(subgraph, where, "REQUIRES", issues)
                rules.check(subgraph_type, parse_field_set(text), top=True)
            for field_name, text in subgraph_type.provides.items():
                where = _where("provides", text, subgraph_type.name, field_name, subgraph.name)
                returned = subgraph.types.get(named_type(subgraph_type.fields[field_name].type))
                if returned is None or returned.kind not in _COMPOSITE:
                    issues.append(
                        CompositionIssue(
                            "PROVIDES_ON_NON_OBJECT_FIELD",
                            f"{where}: the field does not return an object, interface or union",
                        )
                    )
                else:
                    rules = _Rules(subgraph, where, "PROVIDES", issues)
                    rules.check(returned, parse_field_set(text), top=True)


class _Rules:
    """Checks one field set of one subgraph, level by level."""

    def __init__(
        self,
        subgraph: SubgraphDefinition,
        where: str,
        rule: str,
        issues: list[CompositionIssue],
    ) -> None:
        self.subgraph = subgraph
        self.where = where
        self.rule = rule
        self.issues = issues

    def _issue(self, code: str, message: str) -> None:
        self.issues.append(CompositionIssue(f"{self.rule}_{code}", f"{self.where}: {message}"))

    def check(self, owner: SubgraphType, fields: tuple[KeyField, ...], *, top: bool) -> None:
        for key_field in fields:
            on = owner
            if key_field.on is not None:
                # ``... on Book { title }`` below a union or interface: checked on ``Book``.
                found = self.subgraph.types.get(key_field.on)
                if found is None:
                    self._issue("INVALID_FIELDS", f'type "{key_field.on}" is not defined')
                    continue
                on = found
            node = on.fields.get(key_field.name)
            coordinate = f"{on.name}.{key_field.name}"
            if not isinstance(node, FieldDefinitionNode):
                self._issue(
                    "INVALID_FIELDS", f'Cannot query field "{coordinate}": it is not defined there'
                )
                continue
            if self.rule == "PROVIDES" and node.arguments:
                self._issue("FIELDS_HAS_ARGS", f'"{coordinate}" has arguments')
            if top:
                self._check_external(on, key_field, coordinate)
            if key_field.children:
                below = self.subgraph.types.get(named_type(node.type))
                if below is not None:
                    self.check(below, key_field.children, top=False)

    def _check_external(self, owner: SubgraphType, key_field: KeyField, coordinate: str) -> None:
        """A top-level field (or one under a type condition there) must be ``@external``."""
        if key_field.name in owner.external_fields:
            return
        if self.rule == "PROVIDES" and (owner.is_key_field(key_field.name) or key_field.children):
            return  # provided paths go through fields the subgraph resolves to reach the leaves
        self._issue("FIELDS_MISSING_EXTERNAL", f'"{coordinate}" must be @external')


def _unsupported_on_interface(
    subgraph: SubgraphDefinition, interface: SubgraphType, issues: list[CompositionIssue]
) -> None:
    """``@requires``/``@provides`` on an interface field: Apollo does not support them."""
    for directive, fields in (("requires", interface.requires), ("provides", interface.provides)):
        for field_name in fields:
            issues.append(
                CompositionIssue(
                    f"{directive.upper()}_UNSUPPORTED_ON_INTERFACE",
                    f"[{subgraph.name}] Cannot use @{directive} on field "
                    f'"{interface.name}.{field_name}" of parent type "{interface.name}": '
                    f"@{directive} is not yet supported within interfaces",
                )
            )


def _where(directive: str, text: str, type_name: str, field_name: str, subgraph: str) -> str:
    return f'@{directive}(fields: "{text}") on "{type_name}.{field_name}" in "{subgraph}"'
