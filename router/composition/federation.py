"""How one subgraph spells the Federation 2 machinery it imports through ``@link``.

A Federation 2 subgraph says ``@link(url: ".../federation/v2.x", import: ["@key", ...])``;
imported directives keep their bare (or ``as:``-renamed) name, the others are reachable only
as ``federation__<name>``. Reading the names from the link, instead of assuming ``@key``,
keeps composition correct for subgraphs written with any Federation 2 library.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    ConstValueNode,
    DirectiveNode,
    DocumentNode,
    ListValueNode,
    ObjectValueNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
)

FEDERATION_SPEC_PREFIX = "https://specs.apollo.dev/federation/"
LINK_SPEC_PREFIX = "https://specs.apollo.dev/link/"

# Types the federation runtime adds to every subgraph; never part of the client API.
FEDERATION_TYPE_NAMES = frozenset({"_Any", "_Entity", "_Service", "_FieldSet"})
FEDERATION_TYPE_PREFIXES = ("link__", "federation__", "join__")
FEDERATION_ROOT_FIELDS = frozenset({"_entities", "_service"})

# Directives of the client API that survive composition; every other applied directive is
# subgraph machinery (federation, tagging, auth hints) and is dropped from the API schema.
API_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "oneOf"})


@dataclass(frozen=True, slots=True)
class FederationNames:
    """Local names of the federation directives and types used by one subgraph."""

    key: str
    shareable: str
    external: str
    imported_types: frozenset[str]
    is_federation_2: bool

    def is_federation_type(self, name: str) -> bool:
        """Whether a type definition belongs to the federation machinery, not the API."""
        return (
            name in FEDERATION_TYPE_NAMES
            or name in self.imported_types
            or name.startswith(FEDERATION_TYPE_PREFIXES)
        )


def read_federation_names(document: DocumentNode) -> FederationNames:
    """Find the federation ``@link`` of a subgraph document and resolve directive names."""
    for definition in document.definitions:
        if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for directive in definition.directives or ():
            url = _string_argument(directive, "url")
            if url is not None and url.startswith(FEDERATION_SPEC_PREFIX):
                return _names_from_link(directive)
    # Without a link the SDL is Federation 1 style; bare names are the only spelling.
    return FederationNames(
        key="key",
        shareable="shareable",
        external="external",
        imported_types=frozenset(),
        is_federation_2=False,
    )


def _names_from_link(link: DirectiveNode) -> FederationNames:
    prefix = (_string_argument(link, "as") or "federation") + "__"
    renamed: dict[str, str] = {}
    imported_types: set[str] = set()
    for item in _list_argument(link, "import"):
        name, alias = _import_item(item)
        if name is None:
            continue
        if name.startswith("@"):
            renamed[name[1:]] = (alias or name)[1:]
        else:
            imported_types.add(alias or name)

    def local(directive: str) -> str:
        return renamed.get(directive, prefix + directive)

    return FederationNames(
        key=local("key"),
        shareable=local("shareable"),
        external=local("external"),
        imported_types=frozenset(imported_types),
        is_federation_2=True,
    )


def _import_item(item: ConstValueNode) -> tuple[str | None, str | None]:
    if isinstance(item, StringValueNode):
        return item.value, None
    if isinstance(item, ObjectValueNode):
        values = {
            field.name.value: field.value.value
            for field in item.fields
            if isinstance(field.value, StringValueNode)
        }
        return values.get("name"), values.get("as")
    return None, None


def _string_argument(directive: DirectiveNode, name: str) -> str | None:
    for argument in directive.arguments or ():
        if argument.name.value == name and isinstance(argument.value, StringValueNode):
            return argument.value.value
    return None


def _list_argument(directive: DirectiveNode, name: str) -> tuple[ConstValueNode, ...]:
    for argument in directive.arguments or ():
        if argument.name.value == name and isinstance(argument.value, ListValueNode):
            return tuple(argument.value.values)  # type: ignore[arg-type]
    return ()
