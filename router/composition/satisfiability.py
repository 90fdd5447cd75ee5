"""``SATISFIABILITY_ERROR``: every field must be reachable from every subgraph returning its type.

A subgraph that returns an object can only hand the router the fields it resolves; each other
field must be fetchable from a subgraph that resolves it, through a route of
:mod:`router.composition.routes`. Composition refuses a supergraph with a field that no route
reaches, because the planner could not answer a query selecting it.
"""

from __future__ import annotations

from collections.abc import Mapping

from router.composition.model import CompositionIssue, TypeKind, TypeMetadata
from router.composition.routes import entity_routes
from router.composition.spelling import quoted

ROOT_TYPES = frozenset({"Query", "Mutation", "Subscription"})


def check_satisfiability(types: Mapping[str, TypeMetadata], issues: list[CompositionIssue]) -> None:
    """Append one issue per (field, subgraph) the router could not reach the field from."""
    returned_by = _returned_by(types)
    for type_name in sorted(types):
        meta = types[type_name]
        if meta.kind is not TypeKind.OBJECT or type_name in ROOT_TYPES:
            continue
        # A subgraph whose fields of the type are all @external (``@external`` on the type)
        # and which resolves no field returning it never hands one out: it only describes
        # what its @requires read.
        describing = {
            subgraph
            for subgraph in meta.defined_in - returned_by.get(type_name, set())
            if all(
                subgraph in field.external_in
                for field in meta.fields.values()
                if subgraph in field.joins
            )
        }
        for field_name in sorted(meta.fields):
            field_meta = meta.fields[field_name]
            for source in sorted(meta.defined_in - field_meta.resolvable_in - describing):
                if not field_meta.resolvable_in:
                    continue  # reported as EXTERNAL_MISSING_ON_BASE
                if entity_routes(types, type_name, field_name, source):
                    continue
                issues.append(
                    CompositionIssue(
                        "SATISFIABILITY_ERROR",
                        f'Field "{type_name}.{field_name}" cannot be reached from subgraph '
                        f'"{source}", which returns "{type_name}": no subgraph resolving it '
                        f"({quoted(sorted(field_meta.resolvable_in))}) has a resolvable @key "
                        f'(with its @requires) that "{source}" can provide, directly or '
                        "through another subgraph",
                    )
                )


def _returned_by(types: Mapping[str, TypeMetadata]) -> dict[str, set[str]]:
    """Per named type, the subgraphs resolving some field that returns it."""
    found: dict[str, set[str]] = {}
    for meta in types.values():
        for field_meta in meta.fields.values():
            found.setdefault(field_meta.output_type, set()).update(field_meta.resolvable_in)
    return found
