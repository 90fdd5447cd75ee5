"""Checking and merging ``@composeDirective`` requests (see
:mod:`router.composition.composed_directives`).

Apollo's rules are kept (``DIRECTIVE_COMPOSITION_ERROR``): the name starts with ``@``, the
directive is defined in the subgraph and imported from a linked specification that is not
one of Apollo's own (composition handles those itself). The supergraph links each
specification at the highest version a subgraph links it.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphql import ConstDirectiveNode, DirectiveDefinitionNode, print_ast

from router.composition.composed_directives import ComposedDirectives, SubgraphComposedDirectives
from router.composition.model import CompositionIssue

# Specifications whose directives composition already handles in its own way.
_RESERVED_PREFIX = "https://specs.apollo.dev/"


def compose_directives(
    subgraphs: Sequence[tuple[str, SubgraphComposedDirectives]], issues: list[CompositionIssue]
) -> ComposedDirectives:
    """Check each subgraph's ``@composeDirective`` and merge what they keep."""
    # Specification identity (its url without the version) → highest version, imports.
    links: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {}
    # Directive name → the definition of the subgraph linking its spec at the highest version.
    definitions: dict[str, tuple[tuple[int, ...], DirectiveDefinitionNode]] = {}
    applications: dict[str, list[ConstDirectiveNode]] = {}
    for subgraph, declared in subgraphs:
        kept: set[str] = set()
        for name in declared.requested:
            url = _checked(subgraph, name, declared, issues)
            if url is None:
                continue
            identity, version_text = url.rsplit("/", 1)
            version = _version(version_text)
            known_version, imports = links.get(identity, (version, ()))
            if known_version[:1] != version[:1]:
                issues.append(
                    CompositionIssue(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        f'Core feature "{identity}" requested to be merged has major version '
                        "mismatch across subgraphs",
                    )
                )
                continue
            kept.add(name[1:])
            links[identity] = (max(known_version, version), tuple(sorted({*imports, name})))
            definition = declared.definitions[name[1:]]
            if name[1:] not in definitions or definitions[name[1:]][0] < version:
                definitions[name[1:]] = (version, definition)
        for coordinate, applied in declared.applied.items():
            for directive in applied:
                if directive.name.value not in kept:
                    continue
                found = applications.setdefault(coordinate, [])
                if all(print_ast(directive) != print_ast(other) for other in found):
                    found.append(directive)
    return ComposedDirectives(
        links={
            f"{identity}/v{'.'.join(map(str, version))}": imports
            for identity, (version, imports) in sorted(links.items())
        },
        definitions=tuple(definitions[name][1] for name in sorted(definitions)),
        applications={coordinate: tuple(found) for coordinate, found in applications.items()},
    )


def _checked(
    subgraph: str,
    name: str,
    declared: SubgraphComposedDirectives,
    issues: list[CompositionIssue],
) -> str | None:
    """The url of the specification ``name`` is imported from, or ``None`` (an issue)."""

    def refuse(message: str) -> None:
        issues.append(CompositionIssue("DIRECTIVE_COMPOSITION_ERROR", message))

    if not name.startswith("@"):
        refuse(
            f'Argument to @composeDirective "{name}" in subgraph "{subgraph}" must have a '
            'leading "@"'
        )
        return None
    if name[1:] not in declared.definitions:
        refuse(
            "Could not find matching directive definition for argument to @composeDirective "
            f'"{name}" in subgraph "{subgraph}".'
        )
        return None
    for url, imported in declared.links.items():
        if name in imported and not url.startswith(_RESERVED_PREFIX):
            return url
    refuse(
        f'Directive "{name}" in subgraph "{subgraph}" cannot be composed because it is not a '
        "member of a core feature"
    )
    return None


def _version(text: str) -> tuple[int, ...]:
    digits = text.lstrip("v").split(".")
    return tuple(int(d) for d in digits if d.isascii() and d.isdigit())
