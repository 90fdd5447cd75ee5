"""How one subgraph spells the Federation machinery it uses.

A Federation 2 subgraph says ``@link(url: ".../federation/v2.x", import: ["@key", ...])``;
imported directives keep their bare (or ``as:``-renamed) name, the others are reachable only
as ``federation__<name>``. A subgraph without that link is Federation 1 style: the directives
have their bare names. Reading the names from the link, instead of assuming ``@key``, keeps
composition correct for subgraphs written with any Federation library.
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

APOLLO_SPECS_PREFIX = "https://specs.apollo.dev/"
FEDERATION_SPEC_PREFIX = APOLLO_SPECS_PREFIX + "federation/"
LINK_SPEC_PREFIX = "https://specs.apollo.dev/link/"

# Types the federation runtime adds to every subgraph; never part of the client API.
FEDERATION_TYPE_NAMES = frozenset({"_Any", "_Entity", "_Service", "_FieldSet"})
FEDERATION_TYPE_PREFIXES = ("link__", "federation__", "join__")
FEDERATION_ROOT_FIELDS = frozenset({"_entities", "_service"})

# Directives of the client API that survive composition; every other applied directive is
# subgraph machinery (federation, tagging, auth hints) and is dropped from the API schema.
API_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "oneOf"})

# Federation directives this router composes and plans for.
SUPPORTED_DIRECTIVES = frozenset(
    {
        "key",
        "shareable",
        "external",
        "requires",
        "provides",
        "override",
        "inaccessible",
        "tag",
        "extends",
        "authenticated",
        "requiresScopes",
        "policy",
        "cost",
        "listSize",
        "composeDirective",
        "interfaceObject",
    }
)

# Federation directives this router does not implement. Composition refuses a subgraph that
# applies one (``UNSUPPORTED_FEATURE``): serving it while ignoring the directive would give
# wrong answers (or, for the access-control ones, leak data).
UNSUPPORTED_DIRECTIVES = frozenset(
    {
        "context",
        "fromContext",
    }
)

# The directive names a Federation 1 subgraph may use, spelled bare.
_FEDERATION_1_DIRECTIVES = frozenset(
    {"key", "external", "requires", "provides", "extends", "shareable", "inaccessible", "tag"}
)


@dataclass(frozen=True, slots=True)
class FederationNames:
    """Local names of the federation directives and types used by one subgraph."""

    # Local directive name → canonical federation directive name (``key``, ``requires``...).
    directives: dict[str, str]
    imported_types: frozenset[str]
    is_federation_2: bool
    # How the subgraph qualifies federation names it does not import (``federation__``).
    prefix: str = "federation__"

    def canonical(self, local_name: str) -> str | None:
        """The federation directive a local name stands for, or ``None`` for other directives."""
        return self.directives.get(local_name)

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
            url = string_argument(directive, "url")
            if url is not None and url.startswith(FEDERATION_SPEC_PREFIX):
                return _names_from_link(directive)
    return FederationNames(
        directives={name: name for name in _FEDERATION_1_DIRECTIVES},
        imported_types=frozenset(),
        is_federation_2=False,
    )


def _names_from_link(link: DirectiveNode) -> FederationNames:
    prefix = (string_argument(link, "as") or "federation") + "__"
    directives: dict[str, str] = {
        prefix + name: name for name in SUPPORTED_DIRECTIVES | UNSUPPORTED_DIRECTIVES
    }
    imported_types: set[str] = set()
    for item in list_argument(link, "import"):
        name, alias = _import_item(item)
        if name is None:
            continue
        if name.startswith("@"):
            directives[(alias or name)[1:]] = name[1:]
        else:
            imported_types.add(alias or name)
    return FederationNames(
        directives=directives,
        imported_types=frozenset(imported_types),
        is_federation_2=True,
        prefix=prefix,
    )


def linked_names(link: DirectiveNode) -> tuple[str, frozenset[str]]:
    """A linked specification's namespace (its ``as:``, else its name in the url) and the
    local names of the directives the link imports from it."""
    url = string_argument(link, "url") or ""
    segments = [segment for segment in url.rstrip("/").split("/") if segment]
    if segments and segments[-1].startswith("v"):
        segments.pop()  # the version
    namespace = string_argument(link, "as") or (segments[-1] if segments else "")
    directives = set()
    for item in list_argument(link, "import"):
        name, alias = _import_item(item)
        if name is not None and name.startswith("@"):
            directives.add((alias or name).removeprefix("@"))
    return namespace, frozenset(directives)


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


def string_argument(directive: DirectiveNode, name: str) -> str | None:
    """The string value of argument ``name`` of ``directive``, if given as a string."""
    for argument in directive.arguments or ():
        if argument.name.value == name and isinstance(argument.value, StringValueNode):
            return argument.value.value
    return None


def list_argument(directive: DirectiveNode, name: str) -> tuple[ConstValueNode, ...]:
    """The items of argument ``name`` of ``directive``, if given as a list."""
    for argument in directive.arguments or ():
        if argument.name.value == name and isinstance(argument.value, ListValueNode):
            return tuple(argument.value.values)  # type: ignore[arg-type]
    return ()
