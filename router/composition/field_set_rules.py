"""Rules on the field sets of ``@requires`` and ``@provides`` (Federation 2 validation).

``@requires(fields:)`` names fields of the same type that the subgraph marks ``@external``;
``@provides(fields:)`` names fields of the returned type that the subgraph marks ``@external``
(and which it then resolves below that field only). Anything else is refused, with Apollo's
rule codes, rather than planned on a guess.
"""

from __future__ import annotations

from collections.abc import Iterable

from router.composition.field_set import parse_field_set
from router.composition.model import CompositionIssue
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
                _check_external(subgraph_type, text, where, "REQUIRES", issues)
            for field_name, text in subgraph_type.provides.items():
                where = _where("provides", text, subgraph_type.name, field_name, subgraph.name)
                returned = subgraph.types.get(named_type(subgraph_type.fields[field_name].type))
                if returned is None or not returned.fields:
                    issues.append(
                        CompositionIssue(
                            "PROVIDES_ON_NON_OBJECT_FIELD",
                            f"{where}: the field does not return an object type",
                        )
                    )
                else:
                    _check_external(returned, text, where, "PROVIDES", issues)


def _check_external(
    owner: SubgraphType, text: str, where: str, rule: str, issues: list[CompositionIssue]
) -> None:
    for key_field in parse_field_set(text):
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
