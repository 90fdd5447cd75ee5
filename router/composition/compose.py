"""Entry point of composition: subgraph SDLs in, :class:`Supergraph` out (or every issue)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from graphql import DocumentNode, GraphQLError, build_ast_schema, validate_schema

from router.composition.merge import merge_types
from router.composition.model import CompositionError, CompositionIssue, SubgraphSource, Supergraph
from router.composition.reader import SubgraphSchema, read_subgraph


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
    subgraphs: list[SubgraphSchema] = []
    for source in ordered:
        subgraph = read_subgraph(source.name, source.sdl, issues)
        if subgraph is not None:
            subgraphs.append(subgraph)
    definitions, metadata = merge_types(subgraphs, issues)
    if "Query" not in metadata:
        issues.append(CompositionIssue("NO_QUERIES", "No subgraph defines a Query root field"))
    if issues:
        raise CompositionError(issues)
    try:
        schema = build_ast_schema(DocumentNode(definitions=tuple(definitions)))
    except (TypeError, GraphQLError) as error:
        raise CompositionError([CompositionIssue("INVALID_API_SCHEMA", str(error))]) from error
    schema_errors = validate_schema(schema)
    if schema_errors:
        raise CompositionError(
            [CompositionIssue("INVALID_API_SCHEMA", error.message) for error in schema_errors]
        )
    return Supergraph(
        schema=schema,
        types=metadata,
        subgraphs=tuple(names),
        version=_version(ordered),
    )


def _version(sources: Sequence[SubgraphSource]) -> str:
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.name.encode())
        digest.update(b"\0")
        digest.update(source.sdl.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]
