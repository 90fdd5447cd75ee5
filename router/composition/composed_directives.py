"""``@composeDirective``: a subgraph's own directives kept in the supergraph, as Apollo keeps them.

A subgraph imports a custom directive from a specification it links
(``@link(url: "https://example.dev/cache/v1.0", import: ["@cache"])``), defines it, and asks
for it with ``@composeDirective(name: "@cache")``. The supergraph then links that
specification (at the highest version any subgraph links), declares the directive once and
carries each application on its element; the client API schema leaves them out, as
Apollo's does. The router itself gives them no meaning: they are for the tools reading the
supergraph. :mod:`router.composition.directive_composition` checks and merges them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from graphql import ConstDirectiveNode, DirectiveDefinitionNode


@dataclass(slots=True)
class SubgraphComposedDirectives:
    """What one subgraph says about its custom directives, as read from its SDL."""

    # ``@composeDirective`` names, without their ``@``.
    requested: list[str] = field(default_factory=list)
    # Linked specifications: url → the local names of the directives imported from it.
    links: dict[str, tuple[str, ...]] = field(default_factory=dict)
    definitions: dict[str, DirectiveDefinitionNode] = field(default_factory=dict)
    # Every application of a directive that is neither federation's nor the API's, per
    # coordinate (only the composed ones are kept in the end).
    applied: dict[str, list[ConstDirectiveNode]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ComposedDirectives:
    """The custom directives of a supergraph: their links, definitions and applications."""

    # url → imported directive names (``@name``), sorted by url.
    links: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    definitions: tuple[DirectiveDefinitionNode, ...] = ()
    applications: Mapping[str, tuple[ConstDirectiveNode, ...]] = field(default_factory=dict)
