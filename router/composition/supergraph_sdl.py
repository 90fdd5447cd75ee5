"""The supergraph SDL in the standard ``@link``/``join__`` form (join spec v0.3).

This is the file other Federation 2 routers (Apollo Router and Gateway, Hive Gateway, Cosmo)
load as their supergraph: every type and field says which subgraphs (``join__Graph`` values)
define it, with the keys, ``@external``/``@requires``/``@provides``/``@override`` facts the
planner needs. ``@inaccessible``, ``@tag``, ``@authenticated`` and ``@requiresScopes`` are
kept (the last two as Apollo prints them: ``for: SECURITY`` links, scopes as
``requiresScopes__Scope``). Output is sorted, so it only changes when a subgraph does.
"""

from __future__ import annotations

import re

from graphql import (
    BooleanValueNode,
    ConstArgumentNode,
    ConstDirectiveNode,
    ConstListValueNode,
    ConstValueNode,
    EnumTypeDefinitionNode,
    EnumValueDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    NamedTypeNode,
    NameNode,
    ObjectTypeDefinitionNode,
    OperationType,
    OperationTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    StringValueNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    parse,
    print_ast,
)

from router.composition.model import FieldMetadata, Supergraph, TypeMetadata

JOIN_SPEC = "https://specs.apollo.dev/join/v0.3"
LINK_SPEC = "https://specs.apollo.dev/link/v1.0"
INACCESSIBLE_SPEC = "https://specs.apollo.dev/inaccessible/v0.2"
TAG_SPEC = "https://specs.apollo.dev/tag/v0.3"
AUTHENTICATED_SPEC = "https://specs.apollo.dev/authenticated/v0.1"
REQUIRES_SCOPES_SPEC = "https://specs.apollo.dev/requiresScopes/v0.1"

_JOIN_DEFINITIONS = """
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, \
type: String, external: Boolean, override: String, usedOverridden: Boolean) \
repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) \
repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, \
resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) \
repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) \
repeatable on SCHEMA
scalar join__FieldSet
scalar link__Import
enum link__Purpose {
  \"\"\"`SECURITY` features provide metadata necessary to securely resolve fields.\"\"\"
  SECURITY
  \"\"\"`EXECUTION` features provide metadata necessary for operation execution.\"\"\"
  EXECUTION
}
"""
_LOCATIONS = (
    "FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | "
    "ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
_INACCESSIBLE_DEFINITION = f"directive @inaccessible on {_LOCATIONS}"
_TAG_DEFINITION = f"directive @tag(name: String!) repeatable on {_LOCATIONS} | SCHEMA"
_ACCESS_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"
_AUTHENTICATED_DEFINITION = f"directive @authenticated on {_ACCESS_LOCATIONS}"
_REQUIRES_SCOPES_DEFINITION = (
    "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on "
    f"{_ACCESS_LOCATIONS}\nscalar requiresScopes__Scope"
)


def print_supergraph(supergraph: Supergraph) -> str:
    """The supergraph SDL of ``supergraph`` (deterministic, ends with a newline)."""
    return _SupergraphPrinter(supergraph).print()


def graph_enum_value(subgraph: str) -> str:
    """The ``join__Graph`` value naming a subgraph: ``identity`` → ``IDENTITY``."""
    value = re.sub(r"[^A-Za-z0-9_]", "_", subgraph).upper()
    return f"_{value}" if value[:1].isdigit() else value


class _SupergraphPrinter:
    def __init__(self, supergraph: Supergraph) -> None:
        assert supergraph.supergraph_schema is not None, "compose() sets supergraph_schema"
        self.supergraph = supergraph
        self.schema = supergraph.supergraph_schema
        self.uses_tags = bool(supergraph.tags)
        self.uses_inaccessible = bool(supergraph.inaccessible)
        access = supergraph.access.values()
        self.uses_authenticated = any(requirement.authenticated for requirement in access)
        self.uses_scopes = any(requirement.scopes is not None for requirement in access)

    def print(self) -> str:
        definitions: list[str] = [print_ast(self._schema_definition())]
        extra = [_JOIN_DEFINITIONS.strip()]
        if self.uses_inaccessible:
            extra.append(_INACCESSIBLE_DEFINITION)
        if self.uses_tags:
            extra.append(_TAG_DEFINITION)
        if self.uses_authenticated:
            extra.append(_AUTHENTICATED_DEFINITION)
        if self.uses_scopes:
            extra.append(_REQUIRES_SCOPES_DEFINITION)
        definitions.append(print_ast(parse("\n".join(extra), no_location=True)))
        definitions.append(print_ast(self._graph_enum()))
        for name in sorted(self.schema.type_map):
            graphql_type = self.schema.type_map[name]
            node = graphql_type.ast_node
            if node is None or name.startswith("__"):
                continue  # built-in scalars and introspection types
            definitions.append(print_ast(self._type(name, node)))
        return "\n\n".join(definitions) + "\n"

    def _schema_definition(self) -> SchemaDefinitionNode:
        links = [
            _directive("link", url=_string(LINK_SPEC)),
            _directive("link", url=_string(JOIN_SPEC), for_=_enum("EXECUTION")),
        ]
        if self.uses_inaccessible:
            links.append(_directive("link", url=_string(INACCESSIBLE_SPEC), for_=_enum("SECURITY")))
        if self.uses_tags:
            links.append(_directive("link", url=_string(TAG_SPEC)))
        if self.uses_authenticated:
            links.append(
                _directive("link", url=_string(AUTHENTICATED_SPEC), for_=_enum("SECURITY"))
            )
        if self.uses_scopes:
            links.append(
                _directive("link", url=_string(REQUIRES_SCOPES_SPEC), for_=_enum("SECURITY"))
            )
        links.extend(self._tags(""))
        roots = [
            (OperationType.QUERY, self.schema.query_type),
            (OperationType.MUTATION, self.schema.mutation_type),
            (OperationType.SUBSCRIPTION, self.schema.subscription_type),
        ]
        return SchemaDefinitionNode(
            directives=tuple(links),
            operation_types=tuple(
                OperationTypeDefinitionNode(
                    operation=operation, type=NamedTypeNode(name=NameNode(value=root.name))
                )
                for operation, root in roots
                if root is not None
            ),
        )

    def _graph_enum(self) -> EnumTypeDefinitionNode:
        return EnumTypeDefinitionNode(
            name=NameNode(value="join__Graph"),
            values=tuple(
                EnumValueDefinitionNode(
                    name=NameNode(value=graph_enum_value(subgraph)),
                    directives=(
                        _directive(
                            "join__graph",
                            name=_string(subgraph),
                            url=_string(self.supergraph.urls.get(subgraph, "")),
                        ),
                    ),
                )
                for subgraph in self.supergraph.subgraphs
            ),
        )

    def _type(self, name: str, node: TypeDefinitionNode) -> TypeDefinitionNode:
        meta = self.supergraph.types[name]
        directives = [*(node.directives or ()), *self._join_types(meta)]
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            directives.extend(
                _directive("join__implements", graph=_graph(sg), interface=_string(interface))
                for sg in sorted(meta.implements)
                for interface in meta.implements[sg]
            )
        if isinstance(node, UnionTypeDefinitionNode):
            directives.extend(
                _directive("join__unionMember", graph=_graph(sg), member=_string(member))
                for sg in sorted(meta.possible_types)
                for member in sorted(meta.possible_types[sg])
            )
        directives.extend(self._marks(name))
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            return type(node)(
                name=node.name,
                description=node.description,
                directives=tuple(directives),
                interfaces=node.interfaces,
                fields=tuple(
                    self._field(meta, field)
                    for field in sorted(node.fields or (), key=lambda f: f.name.value)
                ),
            )
        if isinstance(node, UnionTypeDefinitionNode):
            return UnionTypeDefinitionNode(
                name=node.name,
                description=node.description,
                directives=tuple(directives),
                types=node.types,
            )
        if isinstance(node, EnumTypeDefinitionNode):
            return EnumTypeDefinitionNode(
                name=node.name,
                description=node.description,
                directives=tuple(directives),
                values=tuple(self._enum_value(meta, value) for value in node.values or ()),
            )
        if isinstance(node, InputObjectTypeDefinitionNode):
            return InputObjectTypeDefinitionNode(
                name=node.name,
                description=node.description,
                directives=tuple(directives),
                fields=tuple(
                    self._input_value(f"{name}.{f.name.value}", f)
                    for f in sorted(node.fields or (), key=lambda f: f.name.value)
                ),
            )
        assert isinstance(node, ScalarTypeDefinitionNode)
        return ScalarTypeDefinitionNode(
            name=node.name, description=node.description, directives=tuple(directives)
        )

    def _join_types(self, meta: TypeMetadata) -> list[ConstDirectiveNode]:
        found: list[ConstDirectiveNode] = []
        for subgraph in sorted(meta.defined_in):
            extension = (
                {"extension": BooleanValueNode(value=True)} if subgraph in meta.extension_in else {}
            )
            keys = meta.keys.get(subgraph, ())
            if not keys:
                found.append(_directive("join__type", graph=_graph(subgraph), **extension))
            for key in keys:
                resolvable = {} if key.resolvable else {"resolvable": BooleanValueNode(value=False)}
                found.append(
                    _directive(
                        "join__type",
                        graph=_graph(subgraph),
                        key=_string(key.fields),
                        **extension,
                        **resolvable,
                    )
                )
        return found

    def _field(self, meta: TypeMetadata, node: FieldDefinitionNode) -> FieldDefinitionNode:
        coordinate = f"{meta.name}.{node.name.value}"
        field_meta = meta.fields[node.name.value]
        arguments = sorted(node.arguments or (), key=lambda a: a.name.value)
        return FieldDefinitionNode(
            name=node.name,
            description=node.description,
            arguments=tuple(
                self._input_value(f"{coordinate}({a.name.value}:)", a) for a in arguments
            ),
            type=node.type,
            directives=(
                *(node.directives or ()),
                *self._join_fields(meta, field_meta),
                *self._marks(coordinate),
            ),
        )

    def _join_fields(
        self, meta: TypeMetadata, field_meta: FieldMetadata
    ) -> list[ConstDirectiveNode]:
        joins = field_meta.joins
        overridden = {join.override for join in joins.values() if join.override}
        plain = all(join == type(join)() for join in joins.values()) and set(joins) == set(
            meta.defined_in
        )
        if plain:
            return []  # defined alike by every subgraph of the type: no @join__field needed
        found: list[ConstDirectiveNode] = []
        for subgraph in sorted(joins):
            join = joins[subgraph]
            arguments: dict[str, ConstValueNode] = {"graph": _graph(subgraph)}
            if subgraph in overridden:
                if not any(
                    key_field.name == field_meta.name
                    for key in meta.keys.get(subgraph, ())
                    for key_field in key.selection
                ):
                    continue  # taken over entirely: the source subgraph no longer has it
                arguments["usedOverridden"] = BooleanValueNode(value=True)
            if join.requires:
                arguments["requires"] = _string(join.requires)
            if join.provides:
                arguments["provides"] = _string(join.provides)
            if join.external:
                arguments["external"] = BooleanValueNode(value=True)
            if join.override:
                arguments["override"] = _string(join.override)
            found.append(_directive("join__field", **arguments))
        return found

    def _enum_value(
        self, meta: TypeMetadata, node: EnumValueDefinitionNode
    ) -> EnumValueDefinitionNode:
        value = node.name.value
        joins = tuple(
            _directive("join__enumValue", graph=_graph(sg))
            for sg in sorted(meta.enum_values)
            if value in meta.enum_values[sg]
        )
        return EnumValueDefinitionNode(
            name=node.name,
            description=node.description,
            directives=(*(node.directives or ()), *joins, *self._marks(f"{meta.name}.{value}")),
        )

    def _input_value(
        self, coordinate: str, node: InputValueDefinitionNode
    ) -> InputValueDefinitionNode:
        return InputValueDefinitionNode(
            name=node.name,
            description=node.description,
            type=node.type,
            default_value=node.default_value,
            directives=(*(node.directives or ()), *self._marks(coordinate)),
        )

    def _marks(self, coordinate: str) -> list[ConstDirectiveNode]:
        marks = [_directive("inaccessible")] if coordinate in self.supergraph.inaccessible else []
        return [*marks, *self._tags(coordinate), *self._access(coordinate)]

    def _tags(self, coordinate: str) -> list[ConstDirectiveNode]:
        return [
            _directive("tag", name=_string(tag)) for tag in self.supergraph.tags.get(coordinate, ())
        ]

    def _access(self, coordinate: str) -> list[ConstDirectiveNode]:
        requirement = self.supergraph.access.get(coordinate)
        if requirement is None:
            return []
        found = [_directive("authenticated")] if requirement.authenticated else []
        if requirement.scopes is not None:
            scopes = ConstListValueNode(
                values=tuple(
                    ConstListValueNode(values=tuple(_string(scope) for scope in alternative))
                    for alternative in requirement.scopes
                )
            )
            found.append(_directive("requiresScopes", scopes=scopes))
        return found


def _directive(directive: str, /, **arguments: ConstValueNode) -> ConstDirectiveNode:
    return ConstDirectiveNode(
        name=NameNode(value=directive),
        arguments=tuple(
            # ``for_`` spells the ``for:`` argument, a Python keyword.
            ConstArgumentNode(name=NameNode(value=key.rstrip("_")), value=value)
            for key, value in arguments.items()
        ),
    )


def _graph(subgraph: str) -> EnumValueNode:
    return _enum(graph_enum_value(subgraph))


def _enum(value: str) -> EnumValueNode:
    return EnumValueNode(value=value)


def _string(value: str) -> StringValueNode:
    return StringValueNode(value=value)
