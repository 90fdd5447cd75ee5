"""Merging the fields of an object or interface type across subgraphs, with their ownership.

A field is resolved by every subgraph defining it that neither marks it ``@external`` nor
lost it to an ``@override(from:)``; a field resolved by several subgraphs (or handed out by a
``@provides``) must be ``@shareable`` wherever it is resolved.
"""

from __future__ import annotations

from functools import partial

from graphql import FieldDefinitionNode, print_ast

from router.composition.descriptions import merge_description
from router.composition.external_fields import check_external_declarations
from router.composition.field_set import parse_field_set
from router.composition.merge_arguments import coordinate_of_argument, merge_arguments
from router.composition.model import CompositionIssue, FieldJoin, FieldMetadata, TypeKind
from router.composition.spelling import named_type, quoted
from router.composition.subgraph_definition import Definition, SubgraphType
from router.composition.type_references import Subtyping, merge_type_reference


def merge_output_fields(
    type_name: str,
    kind: TypeKind,
    definitions: list[Definition],
    issues: list[CompositionIssue],
    subtyping: Subtyping,
) -> tuple[tuple[FieldDefinitionNode, ...], dict[str, FieldMetadata]]:
    """The type's merged fields, and per field which subgraphs resolve, share and join it.

    A field's type is the most general of its resolving subgraphs' types (``FIELD_TYPE_MISMATCH``
    when two are incompatible; ``@external`` declarations must agree with it, see
    :mod:`router.composition.external_fields`); what each subgraph declares stays in
    ``FieldMetadata.type_refs``.
    """
    occurrences: dict[str, list[tuple[str, FieldDefinitionNode, SubgraphType]]] = {}
    for subgraph, definition in definitions:
        for field_name, field_node in definition.fields.items():
            occurrences.setdefault(field_name, []).append((subgraph, field_node, definition))  # type: ignore[arg-type]
    nodes: list[FieldDefinitionNode] = []
    metadata: dict[str, FieldMetadata] = {}
    for field_name, found in occurrences.items():
        coordinate = f"{type_name}.{field_name}"
        # @external declarations take no part in the merge, unless there is nothing else.
        merging = [o for o in found if field_name not in o[2].external_fields] or found
        type_refs = {sg: print_ast(n.type) for sg, n, _ in found}
        field_type, issue = merge_type_reference(
            coordinate, [(sg, node.type) for sg, node, _ in merging], subtyping
        )
        if issue is not None:
            issues.append(issue)
        defining = {sg for sg, _, _ in found}
        _check_override_sources(coordinate, field_name, found, issues)
        # A progressive override (label:) from a subgraph defining the field is off until the
        # router enables its label: the field stays with its source meanwhile.
        progressive = {
            sg: d.overrides[field_name]
            for sg, _, d in found
            if field_name in d.override_labels and d.overrides.get(field_name) in defining
        }
        overridden = {
            d.overrides[field_name]
            for sg, _, d in found
            if field_name in d.overrides and sg not in progressive
        }
        resolving = [
            sg
            for sg, _, d in found
            if field_name not in d.external_fields
            and sg not in overridden
            and sg not in progressive
        ]
        shareable = [sg for sg, _, d in found if d.is_shareable(field_name)]
        if kind is TypeKind.OBJECT:
            # A subgraph resolving the field through @provides shares it too (Federation 2).
            providing = [
                sg
                for sg, _, d in found
                if field_name in d.provided_fields and field_name in d.external_fields
            ]
            _check_sharing(
                coordinate,
                resolving,
                providing,
                shareable,
                [sg for sg, _, _ in found],
                issues,
            )
        first = found[0][1]
        merged = FieldDefinitionNode(
            name=first.name,
            description=merge_description(n.description for _, n, _ in found),
            arguments=merge_arguments(
                [(sg, n.arguments) for sg, n, _ in merging],
                issues,
                partial(coordinate_of_argument, coordinate),
                subtyping,
            ),
            type=field_type,
            directives=next((n.directives for _, n, _ in found if n.directives), ()),
        )
        nodes.append(merged)
        if len(merging) < len(found):
            check_external_declarations(
                coordinate,
                merged,
                len({type_refs[sg] for sg, _, _ in merging}) > 1,
                [(sg, n) for sg, n, d in found if field_name in d.external_fields],
                subtyping,
                issues,
            )
        metadata[field_name] = FieldMetadata(
            type_name=type_name,
            name=field_name,
            resolvable_in=frozenset(resolving),
            shareable_in=frozenset(shareable),
            external_in=frozenset(sg for sg, _, d in found if field_name in d.external_fields),
            output_type=named_type(field_type),
            joins={
                sg: FieldJoin(
                    external=field_name in d.external_fields,
                    requires=d.requires.get(field_name),
                    provides=d.provides.get(field_name),
                    override=d.overrides.get(field_name),
                    override_label=_label(sg, field_name, d, progressive, found),
                )
                for sg, _, d in found
            },
            requires={
                sg: parse_field_set(d.requires[field_name])
                for sg, _, d in found
                if field_name in d.requires
            },
            provides={
                sg: parse_field_set(d.provides[field_name])
                for sg, _, d in found
                if field_name in d.provides
            },
            type_refs=type_refs,
        )
    return tuple(nodes), metadata


def _check_override_sources(
    coordinate: str,
    field_name: str,
    found: list[tuple[str, FieldDefinitionNode, SubgraphType]],
    issues: list[CompositionIssue],
) -> None:
    """``OVERRIDE_SOURCE_HAS_OVERRIDE``: a field taken from a subgraph that itself takes it
    from another (only one ``@override`` per field)."""
    overriding = {sg: d.overrides[field_name] for sg, _, d in found if field_name in d.overrides}
    for subgraph, source in sorted(overriding.items()):
        if source in overriding:
            issues.append(
                CompositionIssue(
                    "OVERRIDE_SOURCE_HAS_OVERRIDE",
                    f'Field "{coordinate}" on subgraph "{subgraph}" is also marked with '
                    f'directive @override in subgraph "{source}". Only one @override directive '
                    "is allowed per field.",
                )
            )


def _label(
    subgraph: str,
    field_name: str,
    definition: SubgraphType,
    progressive: dict[str, str],
    found: list[tuple[str, FieldDefinitionNode, SubgraphType]],
) -> str | None:
    """The progressive override label a subgraph's ``@join__field`` carries: the overriding
    subgraph's own, and the same label on the subgraph it takes the field from."""
    if subgraph in progressive:
        return definition.override_labels[field_name]
    return next(
        (d.override_labels[field_name] for sg, _, d in found if progressive.get(sg) == subgraph),
        None,
    )


def _check_sharing(
    coordinate: str,
    resolving: list[str],
    providing: list[str],
    shareable: list[str],
    defining: list[str],
    issues: list[CompositionIssue],
) -> None:
    if not resolving:
        issues.append(
            CompositionIssue(
                "EXTERNAL_MISSING_ON_BASE",
                f'Field "{coordinate}" is marked @external in all of its subgraphs '
                f"({quoted(defining)}); no subgraph resolves it",
            )
        )
    elif len(resolving) + len(providing) > 1:
        not_shareable = [sg for sg in resolving if sg not in shareable]
        if not_shareable:
            issues.append(
                CompositionIssue(
                    "INVALID_FIELD_SHARING",
                    f'Non-shareable field "{coordinate}" is resolved from several subgraphs: '
                    f"{quoted(sorted([*resolving, *providing]))}; it is not @shareable in "
                    f"{quoted(not_shareable)}",
                )
            )
