"""The ``@join__*`` directives of the supergraph SDL, and the literal nodes it is built from.

Each type says which subgraphs define it (``@join__type``, with keys); each field whose
subgraphs do not all define it alike says per subgraph how (``@join__field``:
``requires``, ``provides``, ``external``, ``override``).
"""

from __future__ import annotations

import re

from graphql import (
    BooleanValueNode,
    ConstArgumentNode,
    ConstDirectiveNode,
    ConstValueNode,
    EnumValueNode,
    NameNode,
    StringValueNode,
)

from router.composition.model import FieldMetadata, TypeMetadata


def join_types(meta: TypeMetadata) -> list[ConstDirectiveNode]:
    """``@join__type`` per subgraph defining the type (one per key, if it has keys)."""
    found: list[ConstDirectiveNode] = []
    for subgraph in sorted(meta.defined_in):
        extension = (
            {"extension": BooleanValueNode(value=True)} if subgraph in meta.extension_in else {}
        )
        interface_object = (
            {"isInterfaceObject": BooleanValueNode(value=True)}
            if subgraph in meta.interface_object_in
            else {}
        )
        keys = meta.keys.get(subgraph, ())
        if not keys:
            found.append(
                directive("join__type", graph=graph(subgraph), **extension, **interface_object)
            )
        for key in keys:
            resolvable = {} if key.resolvable else {"resolvable": BooleanValueNode(value=False)}
            found.append(
                directive(
                    "join__type",
                    graph=graph(subgraph),
                    key=string(key.fields),
                    **extension,
                    **resolvable,
                    **interface_object,
                )
            )
    return found


def join_fields(
    meta: TypeMetadata, field_meta: FieldMetadata, interface_needs: frozenset[str] = frozenset()
) -> list[ConstDirectiveNode]:
    """``@join__field`` per subgraph of the field, or none when every subgraph of the type
    defines it alike. ``interface_needs``: subgraphs where an interface the type implements
    declares the field (an ``@override`` source keeps it there, as ``usedOverridden``)."""
    joins = field_meta.joins
    if not joins:
        # Only an @interfaceObject resolves it: no subgraph declares it on this type.
        return [directive("join__field")]
    # A progressive override leaves its source a resolver too (with the same overrideLabel).
    overridden = {
        join.override for join in joins.values() if join.override and not join.override_label
    }
    # Subgraphs spelling the field's type differently (``String`` / ``String!``): each
    # @join__field says its subgraph's type, so a planner reading the supergraph sends valid
    # documents. @external declarations do not count, as they do not take part in the merge.
    resolving = [sg for sg, join in joins.items() if not join.external] or list(joins)
    typed = len({field_meta.type_refs.get(sg) for sg in resolving}) > 1
    plain = (
        not typed
        and all(join == type(join)() for join in joins.values())
        and set(joins) == set(meta.defined_in)
    )
    if plain:
        return []  # defined alike by every subgraph of the type: no @join__field needed
    found: list[ConstDirectiveNode] = []
    for subgraph in sorted(joins):
        join = joins[subgraph]
        arguments: dict[str, ConstValueNode] = {"graph": graph(subgraph)}
        if subgraph in overridden:
            if subgraph not in interface_needs and not any(
                key_field.name == field_meta.name
                for key in meta.keys.get(subgraph, ())
                for key_field in key.selection
            ):
                continue  # taken over entirely: the source subgraph no longer has it
            arguments["usedOverridden"] = BooleanValueNode(value=True)
        if join.requires:
            arguments["requires"] = string(join.requires)
        if join.provides:
            arguments["provides"] = string(join.provides)
        if typed and subgraph in field_meta.type_refs:
            arguments["type"] = string(field_meta.type_refs[subgraph])
        if join.external and subgraph not in overridden:
            # A used overridden field is external to its source by definition (a supergraph
            # file read back says so); Apollo prints only usedOverridden.
            arguments["external"] = BooleanValueNode(value=True)
        if join.override:
            arguments["override"] = string(join.override)
        if join.override_label:
            arguments["overrideLabel"] = string(join.override_label)
        found.append(directive("join__field", **arguments))
    return found


def graph_enum_value(subgraph: str) -> str:
    """The ``join__Graph`` value naming a subgraph: ``identity`` → ``IDENTITY``."""
    value = re.sub(r"[^A-Za-z0-9_]", "_", subgraph).upper()
    return f"_{value}" if value[:1].isdigit() else value


def directive(directive_name: str, /, **arguments: ConstValueNode) -> ConstDirectiveNode:
    """``@name(argument: value, ...)``; a trailing underscore escapes a Python keyword."""
    return ConstDirectiveNode(
        name=NameNode(value=directive_name),
        arguments=tuple(
            # ``for_`` spells the ``for:`` argument, a Python keyword.
            ConstArgumentNode(name=NameNode(value=key.rstrip("_")), value=value)
            for key, value in arguments.items()
        ),
    )


def graph(subgraph: str) -> EnumValueNode:
    """The ``join__Graph`` value of ``subgraph``, as an argument."""
    return enum(graph_enum_value(subgraph))


def enum(value: str) -> EnumValueNode:
    """An enum value literal."""
    return EnumValueNode(value=value)


def string(value: str) -> StringValueNode:
    """A string literal."""
    return StringValueNode(value=value)
