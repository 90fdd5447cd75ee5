"""Entry point of composition: subgraph SDLs in, :class:`Supergraph` out (or every issue)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    TypeDefinitionNode,
    build_ast_schema,
    validate_schema,
)

from router.composition.access import merge_requirements
from router.composition.cost_directives import merge_cost_hints
from router.composition.cost_rules import check_cost_directives
from router.composition.directive_composition import compose_directives
from router.composition.federation_1 import upgrade_federation_1
from router.composition.field_set_rules import check_field_sets
from router.composition.inaccessible import api_definitions
from router.composition.interface_entities import (
    add_interface_object_fields,
    as_interfaces,
    check_entity_interfaces,
    check_interface_objects_reachable,
)
from router.composition.merge import merge_types
from router.composition.model import CompositionError, CompositionIssue, SubgraphSource, Supergraph
from router.composition.reader import read_subgraph
from router.composition.satisfiability import check_satisfiability
from router.composition.scalars import check_specified_scalars
from router.composition.subgraph_definition import SubgraphDefinition


def compose(sources: Sequence[SubgraphSource]) -> Supergraph:
    """Compose subgraph SDLs into the client API schema plus planner metadata.

    Sources are processed in name order so the result does not depend on the order the
    application lists its subgraphs in. Raises :class:`CompositionError` listing all issues.
    """
    issues: list[CompositionIssue] = []
    ordered = sorted(sources, key=lambda source: source.name)
    names = [source.name for source in ordered]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        issues.append(
            CompositionIssue("DUPLICATE_SUBGRAPH_NAME", f"Subgraph names used twice: {duplicates}")
        )
    subgraphs: list[SubgraphDefinition] = []
    for source in ordered:
        subgraph = read_subgraph(source.name, source.sdl, issues)
        if subgraph is not None:
            subgraphs.append(subgraph)
    if issues:
        raise CompositionError(issues)
    upgrade_federation_1(subgraphs, issues)
    if issues:
        raise CompositionError(issues)
    composed_directives = compose_directives(
        [(subgraph.name, subgraph.custom) for subgraph in subgraphs], issues
    )
    check_field_sets(subgraphs, issues)
    check_cost_directives(subgraphs, issues)
    check_entity_interfaces(subgraphs, issues)
    if issues:
        raise CompositionError(issues)
    as_interfaces(subgraphs)
    inaccessible = frozenset(c for subgraph in subgraphs for c in subgraph.inaccessible)
    definitions, metadata = merge_types(subgraphs, issues, inaccessible)
    add_interface_object_fields(subgraphs, definitions, metadata, issues)
    if "Query" not in metadata:
        issues.append(CompositionIssue("NO_QUERIES", "No subgraph defines a Query root field"))
    if issues:
        raise CompositionError(issues)
    check_satisfiability(metadata, issues, inaccessible)
    check_interface_objects_reachable(metadata, issues)
    visible = api_definitions(definitions, inaccessible, issues)
    if issues:
        raise CompositionError(issues)
    tags: dict[str, list[str]] = {}
    for subgraph in subgraphs:
        for coordinate, names_ in subgraph.tags.items():
            known = tags.setdefault(coordinate, [])
            known.extend(name for name in names_ if name not in known)
    return Supergraph(
        schema=_build(visible),
        types=metadata,
        subgraphs=tuple(names),
        version=_version(ordered),
        supergraph_schema=_build(definitions),
        inaccessible=inaccessible,
        tags={coordinate: tuple(names_) for coordinate, names_ in tags.items()},
        urls={source.name: source.url for source in ordered if source.url is not None},
        access=merge_requirements(subgraph.access for subgraph in subgraphs),
        composed_directives=composed_directives,
        cost=merge_cost_hints(
            (subgraph.weights for subgraph in subgraphs),
            (subgraph.list_sizes for subgraph in subgraphs),
        ),
    )


def _build(definitions: list[TypeDefinitionNode]) -> GraphQLSchema:
    try:
        schema = build_ast_schema(DocumentNode(definitions=tuple(definitions)))
    except (TypeError, GraphQLError) as error:
        raise CompositionError([CompositionIssue("INVALID_API_SCHEMA", str(error))]) from error
    check_specified_scalars(schema)
    schema_errors = validate_schema(schema)
    if schema_errors:
        # The merged schema breaks a GraphQL rule (an implementation's field merged to a type
        # more general than its interface's): Apollo reports that as INVALID_GRAPHQL.
        raise CompositionError(
            [CompositionIssue("INVALID_GRAPHQL", error.message) for error in schema_errors]
        )
    return schema


def _version(sources: Sequence[SubgraphSource]) -> str:
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.name.encode())
        digest.update(b"\0")
        digest.update(source.sdl.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]
