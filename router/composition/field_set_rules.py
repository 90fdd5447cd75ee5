"""Rules on the field sets of ``@requires`` and ``@provides`` (Federation 2 validation).

``@requires(fields:)`` names fields of the same type that the subgraph marks ``@external``;
``@provides(fields:)`` names fields of the returned type that the subgraph marks ``@external``
(and which it then resolves below that field only). Anything else is refused, with Apollo's
rule codes, rather than planned on a guess.
"""

from __future__ import annotations

from collections.abc import Iterable

from router.composition.field_set import parse_field_set
from router.composition.model import CompositionIssue, KeyField, TypeKind
from router.composition.spelling import named_type
from router.composition.subgraph_definition import SubgraphDefinition, SubgraphType


def check_field_sets(
    subgraphs: Iterable[SubgraphDefinition], issues: list[CompositionIssue]
) -> None:
    """Append an issue for every invalid ``@requires``/``@provides`` field set."""
    for subgraph in subgraphs:
        for subgraph_type in subgraph.types.values():
            for field_name, text in subgraph_type.requires.items():
                where = _where("requires", text, subgraph_type.name, field_name, subgraph.name)
                _check_external(subgraph_type, parse_field_set(text), where, "REQUIRES", issues)
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
                    _check_external(
                        returned, parse_field_set(text), where, "PROVIDES", issues, subgraph
                    )


_COMPOSITE = frozenset({TypeKind.OBJECT, TypeKind.INTERFACE, TypeKind.UNION})


def _check_external(
    owner: SubgraphType,
    fields: tuple[KeyField, ...],
    where: str,
    rule: str,
    issues: list[CompositionIssue],
    subgraph: SubgraphDefinition | None = None,
) -> None:
    for key_field in fields:
        if key_field.on is not None and subgraph is not None:
            # ``... on Book { title }`` below a union or interface: checked on ``Book``.
            condition = subgraph.types.get(key_field.on)
            if condition is None:
                issues.append(
                    CompositionIssue(
                        f"{rule}_INVALID_FIELDS", f'{where}: type "{key_field.on}" is not defined'
                    )
                )
                continue
            bare = KeyField(key_field.name, key_field.children, key_field.arguments)
            _check_external(condition, (bare,), where, rule, issues)
            continue
        coordinate = f"{owner.name}.{key_field.name}"
        if key_field.name not in owner.fields:
            issues.append(
                CompositionIssue(
                    f"{rule}_INVALID_FIELDS", f'{where}: "{coordinate}" is not defined there'
                )
            )
        elif key_field.name not in owner.external_fields and not (
            # Provided paths go through fields the subgraph resolves to reach the leaves.
            rule == "PROVIDES" and (owner.is_key_field(key_field.name) or key_field.children)
        ):
            issues.append(
                CompositionIssue(
                    f"{rule}_FIELDS_MISSING_EXTERNAL", f'{where}: "{coordinate}" must be @external'
                )
            )


def _where(directive: str, text: str, type_name: str, field_name: str, subgraph: str) -> str:
    return f'@{directive}(fields: "{text}") on "{type_name}.{field_name}" in "{subgraph}"'
