"""Entity interfaces (``@key`` on an interface) and ``@interfaceObject``, as composition sees them.

A subgraph that puts ``@key`` on an interface resolves representations whose ``__typename``
is the interface (answering with the concrete type), so it must define every implementation
the supergraph knows, each with the same key. Another subgraph may declare an object type of
the interface's name with ``@interfaceObject`` (and a key): it stands for the interface there,
and each of its fields is added to every implementation, resolved by an ``_entities`` fetch of
the interface from that subgraph. Apollo's rule codes: ``INTERFACE_KEY_NOT_ON_IMPLEMENTATION``,
``INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE``, ``INTERFACE_OBJECT_USAGE_ERROR``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from graphql import FieldDefinitionNode, ObjectTypeDefinitionNode, TypeDefinitionNode

from router.composition.field_set import print_field_set
from router.composition.model import (
    CompositionIssue,
    EntityKey,
    FieldMetadata,
    TypeKind,
    TypeMetadata,
)
from router.composition.routes import can_provide
from router.composition.spelling import quoted
from router.composition.subgraph_definition import SubgraphDefinition, SubgraphType


def check_entity_interfaces(
    subgraphs: Sequence[SubgraphDefinition], issues: list[CompositionIssue]
) -> None:
    """Append an issue for every misuse of ``@key`` on interfaces and ``@interfaceObject``."""
    implementations = _implementations(subgraphs)
    interface_objects: dict[str, list[str]] = {}
    for subgraph in subgraphs:
        for subgraph_type in subgraph.types.values():
            if subgraph_type.interface_object:
                interface_objects.setdefault(subgraph_type.name, []).append(subgraph.name)
                _check_interface_object(subgraph, subgraph_type, implementations, issues)
            elif subgraph_type.kind is TypeKind.INTERFACE and subgraph_type.keys:
                _check_interface_keys(subgraph, subgraph_type, implementations, issues)
    for name, declaring in sorted(interface_objects.items()):
        if not any(
            (found := subgraph.types.get(name)) is not None and found.kind is TypeKind.INTERFACE
            for subgraph in subgraphs
        ):
            issues.append(
                CompositionIssue(
                    "INTERFACE_OBJECT_USAGE_ERROR",
                    f'Type "{name}" is declared with @interfaceObject in all the subgraphs in '
                    f"which it is defined ({quoted(declaring)}) but should be defined as an "
                    "interface in at least one subgraph",
                )
            )


def as_interfaces(subgraphs: Sequence[SubgraphDefinition]) -> None:
    """Let every ``@interfaceObject`` merge as the interface it stands for."""
    for subgraph in subgraphs:
        for subgraph_type in subgraph.types.values():
            if subgraph_type.interface_object:
                subgraph_type.kind = TypeKind.INTERFACE


def add_interface_object_fields(
    subgraphs: Sequence[SubgraphDefinition],
    definitions: list[TypeDefinitionNode],
    metadata: dict[str, TypeMetadata],
    issues: list[CompositionIssue],
) -> None:
    """Give every implementation the fields ``@interfaceObject``s add to its interfaces.

    ``definitions`` and ``metadata`` (the merged types) are updated in place.
    """
    objects = _interface_objects(subgraphs)
    if not objects:
        return
    for name, declaring in objects.items():
        metadata[name] = replace(metadata[name], interface_object_in=frozenset(declaring))
    for index, node in enumerate(definitions):
        if not isinstance(node, ObjectTypeDefinitionNode):
            continue
        meta = metadata[node.name.value]
        fields = dict(meta.fields)
        added: list[FieldDefinitionNode] = []
        for interface in (named.name.value for named in node.interfaces or ()):
            for subgraph, object_type in objects.get(interface, {}).items():
                interface_meta = metadata[interface]
                for field_name in object_type.fields:
                    if field_name in object_type.external_fields:
                        continue
                    known = fields.get(field_name)
                    if known is None:
                        added.append(_field_node(definitions, interface, field_name))
                    elif subgraph in known.interface_objects:
                        continue
                    fields[field_name] = _through_interface_object(
                        node.name.value,
                        known,
                        interface_meta.fields[field_name],
                        subgraph,
                        object_type.is_shareable(field_name),
                        issues,
                    )
        if fields != meta.fields:
            metadata[node.name.value] = replace(meta, fields=fields)
        if added:
            definitions[index] = ObjectTypeDefinitionNode(
                name=node.name,
                description=node.description,
                interfaces=node.interfaces,
                directives=node.directives,
                fields=(*(node.fields or ()), *added),
            )


def interface_owner(
    types: Mapping[str, TypeMetadata], interface: str, subgraph: str
) -> tuple[str, EntityKey] | None:
    """The subgraph (and its key) that tells ``subgraph``, where ``interface`` is an
    ``@interfaceObject``, which implementation an object is: one declaring the interface with
    a resolvable ``@key`` whose fields ``subgraph`` resolves."""
    meta = types[interface]
    for owner in sorted(meta.defined_in - meta.interface_object_in - {subgraph}):
        for key in meta.resolvable_keys(owner):
            if can_provide(types, interface, key.selection, subgraph):
                return owner, key
    return None


def check_interface_objects_reachable(
    types: Mapping[str, TypeMetadata], issues: list[CompositionIssue]
) -> None:
    """``SATISFIABILITY_ERROR`` for a subgraph returning an ``@interfaceObject`` (a client may
    ask which implementation it is) when no subgraph can tell the implementation."""
    for type_name in sorted(types):
        for field_name, field_meta in sorted(types[type_name].fields.items()):
            returned = types.get(field_meta.output_type)
            if returned is None or not returned.interface_object_in:
                continue
            for subgraph in sorted(field_meta.resolvable_in & returned.interface_object_in):
                if interface_owner(types, returned.name, subgraph) is None:
                    issues.append(
                        CompositionIssue(
                            "SATISFIABILITY_ERROR",
                            f'Field "{type_name}.{field_name}" of subgraph "{subgraph}" returns '
                            f'@interfaceObject type "{returned.name}", but no subgraph can be '
                            "reached to resolve its implementation type (a resolvable @key on "
                            f'the interface "{returned.name}" whose fields "{subgraph}" '
                            "resolves)",
                        )
                    )


def _through_interface_object(
    type_name: str,
    known: FieldMetadata | None,
    interface_field: FieldMetadata,
    subgraph: str,
    shareable: bool,
    issues: list[CompositionIssue],
) -> FieldMetadata:
    """``type_name``'s field, also (or only) resolved by ``subgraph``'s interface object."""
    interface = interface_field.type_name
    requires = interface_field.requires.get(subgraph)
    if known is None:
        known = FieldMetadata(
            type_name=type_name,
            name=interface_field.name,
            resolvable_in=frozenset(),
            output_type=interface_field.output_type,
        )
    resolving = known.resolvable_in | {subgraph}
    not_shareable = sorted(known.resolvable_in - known.shareable_in)
    if not shareable:
        not_shareable.append(subgraph)
    if not_shareable and len(resolving) > 1:
        issues.append(
            CompositionIssue(
                "INVALID_FIELD_SHARING",
                f'Non-shareable field "{type_name}.{known.name}" is resolved from several '
                f'subgraphs: {quoted(sorted(resolving))} ("{subgraph}" through '
                f'@interfaceObject field "{interface}.{known.name}"); it is not @shareable in '
                f"{quoted(not_shareable)}",
            )
        )
    return replace(
        known,
        resolvable_in=resolving,
        shareable_in=known.shareable_in | ({subgraph} if shareable else set()),
        interface_objects={**known.interface_objects, subgraph: interface},
        requires={**known.requires, **({subgraph: requires} if requires else {})},
        type_refs={**known.type_refs, subgraph: interface_field.type_refs[subgraph]},
    )


def _field_node(
    definitions: list[TypeDefinitionNode], interface: str, field_name: str
) -> FieldDefinitionNode:
    node = next(d for d in definitions if d.name.value == interface)
    return next(f for f in node.fields if f.name.value == field_name)  # type: ignore[attr-defined]


def _interface_objects(
    subgraphs: Sequence[SubgraphDefinition],
) -> dict[str, dict[str, SubgraphType]]:
    """Per interface, the subgraphs declaring an ``@interfaceObject`` for it."""
    found: dict[str, dict[str, SubgraphType]] = {}
    for subgraph in subgraphs:
        for subgraph_type in subgraph.types.values():
            if subgraph_type.interface_object:
                found.setdefault(subgraph_type.name, {})[subgraph.name] = subgraph_type
    return found


def _implementations(subgraphs: Sequence[SubgraphDefinition]) -> dict[str, set[str]]:
    """Per interface, the object types implementing it in any subgraph (the supergraph's)."""
    found: dict[str, set[str]] = {}
    for subgraph in subgraphs:
        for subgraph_type in subgraph.types.values():
            if subgraph_type.kind is TypeKind.OBJECT and not subgraph_type.interface_object:
                for interface in subgraph_type.interfaces:
                    found.setdefault(interface, set()).add(subgraph_type.name)
    return found


def _check_interface_object(
    subgraph: SubgraphDefinition,
    subgraph_type: SubgraphType,
    implementations: dict[str, set[str]],
    issues: list[CompositionIssue],
) -> None:
    name = subgraph_type.name
    if not subgraph_type.keys:
        issues.append(
            CompositionIssue(
                "INTERFACE_OBJECT_USAGE_ERROR",
                f"[{subgraph.name}] The @interfaceObject directive can only be applied to "
                f'entity types but type "{name}" has no @key in this subgraph.',
            )
        )
    defined = sorted(implementations.get(name, set()) & subgraph.types.keys())
    if defined:
        issues.append(
            CompositionIssue(
                "INTERFACE_OBJECT_USAGE_ERROR",
                f'[{subgraph.name}] Interface type "{name}" is defined as an @interfaceObject '
                f'in subgraph "{subgraph.name}" so that subgraph should not define any of the '
                f'implementation types of "{name}", but it defines {quoted(defined)}',
            )
        )


def _check_interface_keys(
    subgraph: SubgraphDefinition,
    interface: SubgraphType,
    implementations: dict[str, set[str]],
    issues: list[CompositionIssue],
) -> None:
    local = sorted(
        t.name
        for t in subgraph.types.values()
        if t.kind is TypeKind.OBJECT and interface.name in t.interfaces
    )
    for key in interface.keys:
        missing: list[str] = []
        not_resolvable: list[str] = []
        for type_name in local:
            matching = _matching_key(subgraph.types[type_name], key)
            if matching is None:
                missing.append(type_name)
            elif key.resolvable and not matching.resolvable:
                not_resolvable.append(type_name)
        where = (
            f'[{subgraph.name}] Key @key(fields: "{key.fields}") on interface type '
            f'"{interface.name}"'
        )
        if missing:
            issues.append(
                CompositionIssue(
                    "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
                    f"{where} is missing on implementation(s) {quoted(missing)}.",
                )
            )
        elif not_resolvable:
            issues.append(
                CompositionIssue(
                    "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
                    f"{where} should be resolvable on all implementation types, but is declared "
                    f'with "@key(resolvable: false)" in {quoted(not_resolvable)}.',
                )
            )
    resolvable = next((key for key in interface.keys if key.resolvable), None)
    absent = sorted(implementations.get(interface.name, set()) - set(local))
    if resolvable is not None and absent:
        issues.append(
            CompositionIssue(
                "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE",
                f'[{subgraph.name}] Interface type "{interface.name}" has a resolvable key '
                f'(@key(fields: "{resolvable.fields}")) in subgraph "{subgraph.name}" but that '
                f"subgraph is missing some of the supergraph implementation types of "
                f'"{interface.name}": it should define {quoted(absent)} (and have them '
                f'implement "{interface.name}").',
            )
        )


def _matching_key(subgraph_type: SubgraphType, key: EntityKey) -> EntityKey | None:
    wanted = _canonical(key)
    return next((k for k in subgraph_type.keys if _canonical(k) == wanted), None)


def _canonical(key: EntityKey) -> str:
    return print_field_set(tuple(sorted(key.selection, key=lambda f: f.name)))
