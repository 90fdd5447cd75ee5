"""``EXTERNAL_UNUSED``: a Federation 2 subgraph's ``@external`` field must serve a purpose
(and ``EXTERNAL_ON_INTERFACE``: an interface field is never ``@external``).

An external field is used when it is part of a ``@key`` of its type, read by a ``@requires``
or handed out by a ``@provides`` of the subgraph (at any depth of their field sets), or
declared so the type satisfies an interface that has the field. Apollo's composition refuses
any other one; so do we (Federation 1 subgraphs are exempt, as Apollo upgrades them).
"""

from __future__ import annotations

from router.composition.field_set import parse_field_set
from router.composition.model import CompositionIssue, KeyField, TypeKind
from router.composition.spelling import named_type
from router.composition.subgraph_definition import SubgraphType


def check_external_used(
    subgraph: str, types: dict[str, SubgraphType], issues: list[CompositionIssue]
) -> None:
    """Append ``EXTERNAL_UNUSED`` for every ``@external`` field nothing uses."""
    used: dict[str, set[str]] = {}

    def mark(type_name: str, field_set: tuple[KeyField, ...]) -> None:
        for key_field in field_set:
            owner_name = key_field.on or type_name
            used.setdefault(owner_name, set()).add(key_field.name)
            owner = types.get(owner_name)
            node = None if owner is None else owner.fields.get(key_field.name)
            if key_field.children and node is not None:
                mark(named_type(node.type), key_field.children)

    for subgraph_type in types.values():
        for key in subgraph_type.keys:
            mark(subgraph_type.name, key.selection)
        for text in subgraph_type.requires.values():
            mark(subgraph_type.name, parse_field_set(text))
        for field_name, text in subgraph_type.provides.items():
            mark(named_type(subgraph_type.fields[field_name].type), parse_field_set(text))
    for subgraph_type in types.values():
        if subgraph_type.kind is TypeKind.INTERFACE:
            for field_name in sorted(subgraph_type.external_fields):
                issues.append(
                    CompositionIssue(
                        "EXTERNAL_ON_INTERFACE",
                        f'[{subgraph}] Interface type field "{subgraph_type.name}.{field_name}" '
                        "is marked @external but @external is not allowed on interface fields",
                    )
                )
        by_interfaces = {
            field_name
            for interface in subgraph_type.interfaces
            for field_name in getattr(types.get(interface), "fields", {})
        }
        for field_name in sorted(subgraph_type.external_fields):
            if field_name in used.get(subgraph_type.name, ()) or field_name in by_interfaces:
                continue
            issues.append(
                CompositionIssue(
                    "EXTERNAL_UNUSED",
                    f'[{subgraph}] Field "{subgraph_type.name}.{field_name}" is marked @external '
                    "but is not used in any federation directive (@key, @provides, @requires) "
                    "or to satisfy an interface",
                )
            )
