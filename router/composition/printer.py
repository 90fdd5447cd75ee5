"""Deterministic SDL of the client API schema (committed as ``schema.graphql``)."""

from __future__ import annotations

from graphql import lexicographic_sort_schema, print_schema

from router.composition.model import Supergraph


def print_api_schema(supergraph: Supergraph) -> str:
    """Print the API schema with types, fields, arguments and values sorted by name.

    Sorting makes the output independent of subgraph order and field declaration order, so a
    regenerated ``schema.graphql`` only changes when the API does.
    """
    return print_schema(lexicographic_sort_schema(supergraph.schema)) + "\n"
