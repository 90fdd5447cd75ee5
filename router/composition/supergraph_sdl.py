"""The supergraph SDL in the standard ``@link``/``join__`` form (join spec v0.3).

This is the file other Federation 2 routers (Apollo Router and Gateway, Hive Gateway, Cosmo)
load as their supergraph: every type and field says which subgraphs (``join__Graph`` values)
define it, with the keys, ``@external``/``@requires``/``@provides``/``@override`` facts the
planner needs. ``@inaccessible``, ``@tag``, ``@authenticated`` and ``@requiresScopes`` are
kept (the last two as Apollo prints them: ``for: SECURITY`` links, scopes as
``requiresScopes__Scope``). Output is sorted, so it only changes when a subgraph does.
"""

from __future__ import annotations

from graphql import (
    BooleanValueNode,
    ConstDirectiveNode,
    ConstListValueNode,
    ConstValueNode,
    EnumTypeDefinitionNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    IntValueNode,
    NamedTypeNode,
    NameNode,
    ObjectTypeDefinitionNode,
    OperationType,
    OperationTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    parse,
    print_ast,
)

from router.composition.join_directives import (
    directive,
    enum,
    graph,
    graph_enum_value,
    join_fields,
    join_types,
    string,
)
from router.composition.model import Supergraph, TypeMetadata
from router.composition.override_labels import override_labels
from router.composition.supergraph_specs import (
    AUTHENTICATED_DEFINITION,
    AUTHENTICATED_SPEC,
    COST_DEFINITION,
    COST_SPEC,
    INACCESSIBLE_DEFINITION,
    INACCESSIBLE_SPEC,
    JOIN_DEFINITIONS,
    JOIN_DEFINITIONS_OVERRIDE_LABEL,
    JOIN_SPEC,
    JOIN_SPEC_OVERRIDE_LABEL,
    LINK_SPEC,
    LIST_SIZE_DEFINITION,
    POLICY_DEFINITION,
    POLICY_SPEC,
    REQUIRES_SCOPES_DEFINITION,
    REQUIRES_SCOPES_SPEC,
    TAG_DEFINITION,
    TAG_SPEC,
)


def print_supergraph(supergraph: Supergraph) -> str:
    """The supergraph SDL of ``supergraph`` (deterministic, ends with a newline)."""
    return _SupergraphPrinter(supergraph).print()


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
        self.uses_policies = any(requirement.policies is not None for requirement in access)
        self.cost = supergraph.cost
        self.custom = supergraph.composed_directives
        self.uses_labels = bool(override_labels(supergraph))

    def print(self) -> str:
        definitions: list[str] = [print_ast(self._schema_definition())]
        extra = [
            (JOIN_DEFINITIONS_OVERRIDE_LABEL if self.uses_labels else JOIN_DEFINITIONS).strip()
        ]
        if self.uses_inaccessible:
            extra.append(INACCESSIBLE_DEFINITION)
        if self.uses_tags:
            extra.append(TAG_DEFINITION)
        if self.uses_authenticated:
            extra.append(AUTHENTICATED_DEFINITION)
        if self.uses_scopes:
            extra.append(REQUIRES_SCOPES_DEFINITION)
        if self.uses_policies:
            extra.append(POLICY_DEFINITION)
        if self.cost.weights:
            extra.append(COST_DEFINITION)
        if self.cost.list_sizes:
            extra.append(LIST_SIZE_DEFINITION)
        extra.extend(print_ast(node) for node in self.custom.definitions)
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
            directive("link", url=string(LINK_SPEC)),
            directive(
                "link",
                url=string(JOIN_SPEC_OVERRIDE_LABEL if self.uses_labels else JOIN_SPEC),
                for_=enum("EXECUTION"),
            ),
        ]
        if self.uses_inaccessible:
            links.append(directive("link", url=string(INACCESSIBLE_SPEC), for_=enum("SECURITY")))
        if self.uses_tags:
            links.append(directive("link", url=string(TAG_SPEC)))
        if self.uses_authenticated:
            links.append(directive("link", url=string(AUTHENTICATED_SPEC), for_=enum("SECURITY")))
        if self.uses_scopes:
            links.append(directive("link", url=string(REQUIRES_SCOPES_SPEC), for_=enum("SECURITY")))
        if self.uses_policies:
            links.append(directive("link", url=string(POLICY_SPEC), for_=enum("SECURITY")))
        if self.cost:
            # As Apollo links it: ``@cost`` is the spec's own name, ``@listSize`` imported.
            list_size = {"import": ConstListValueNode(values=(string("@listSize"),))}
            links.append(
                directive(
                    "link", url=string(COST_SPEC), **(list_size if self.cost.list_sizes else {})
                )
            )
        for url, names in self.custom.links.items():
            imports = ConstListValueNode(values=tuple(string(name) for name in names))
            links.append(directive("link", url=string(url), import_=imports))
        links.extend(self._tags(""))
        links.extend(self.custom.applications.get("", ()))
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
                        directive(
                            "join__graph",
                            name=string(subgraph),
                            url=string(self.supergraph.urls.get(subgraph, "")),
                        ),
                    ),
                )
                for subgraph in self.supergraph.subgraphs
            ),
        )

    def _type(self, name: str, node: TypeDefinitionNode) -> TypeDefinitionNode:
        meta = self.supergraph.types[name]
        directives = [*(node.directives or ()), *join_types(meta)]
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            directives.extend(
                directive("join__implements", graph=graph(sg), interface=string(interface))
                for sg in sorted(meta.implements)
                for interface in meta.implements[sg]
            )
        if isinstance(node, UnionTypeDefinitionNode):
            directives.extend(
                directive("join__unionMember", graph=graph(sg), member=string(member))
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
                *join_fields(meta, field_meta, self._interface_needs(meta, node.name.value)),
                *self._marks(coordinate),
            ),
        )

    def _interface_needs(self, meta: TypeMetadata, field_name: str) -> frozenset[str]:
        """Subgraphs where an interface the type implements declares ``field_name``."""
        needs: set[str] = set()
        for subgraph, interfaces in meta.implements.items():
            for interface in interfaces:
                declared = self.supergraph.types[interface].fields.get(field_name)
                if declared is not None and subgraph in declared.joins:
                    needs.add(subgraph)
        return frozenset(needs)

    def _enum_value(
        self, meta: TypeMetadata, node: EnumValueDefinitionNode
    ) -> EnumValueDefinitionNode:
        value = node.name.value
        joins = tuple(
            directive("join__enumValue", graph=graph(sg))
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
        marks = [directive("inaccessible")] if coordinate in self.supergraph.inaccessible else []
        return [
            *marks,
            *self._tags(coordinate),
            *self._access(coordinate),
            *self._cost(coordinate),
            *self.custom.applications.get(coordinate, ()),
        ]

    def _tags(self, coordinate: str) -> list[ConstDirectiveNode]:
        return [
            directive("tag", name=string(tag)) for tag in self.supergraph.tags.get(coordinate, ())
        ]

    def _cost(self, coordinate: str) -> list[ConstDirectiveNode]:
        found: list[ConstDirectiveNode] = []
        size = self.cost.list_sizes.get(coordinate)
        if size is not None:
            arguments: dict[str, ConstValueNode] = {}
            if size.assumed_size is not None:
                arguments["assumedSize"] = IntValueNode(value=str(size.assumed_size))
            if size.slicing_arguments:
                arguments["slicingArguments"] = _strings(size.slicing_arguments)
            if size.sized_fields:
                arguments["sizedFields"] = _strings(size.sized_fields)
            if not size.require_one_slicing_argument:
                arguments["requireOneSlicingArgument"] = BooleanValueNode(value=False)
            found.append(directive("listSize", **arguments))
        weight = self.cost.weights.get(coordinate)
        if weight is not None:
            found.append(directive("cost", weight=IntValueNode(value=str(weight))))
        return found

    def _access(self, coordinate: str) -> list[ConstDirectiveNode]:
        requirement = self.supergraph.access.get(coordinate)
        if requirement is None:
            return []
        found = [directive("authenticated")] if requirement.authenticated else []
        for name, argument, value in (
            ("requiresScopes", "scopes", requirement.scopes),
            ("policy", "policies", requirement.policies),
        ):
            if value is not None:
                found.append(directive(name, **{argument: _dnf(value)}))
        return found


def _strings(names: tuple[str, ...]) -> ConstListValueNode:
    return ConstListValueNode(values=tuple(string(name) for name in names))


def _dnf(alternatives: tuple[tuple[str, ...], ...]) -> ConstListValueNode:
    """``[["a", "b"], ["c"]]``: scopes or policies as the directive argument."""
    return ConstListValueNode(
        values=tuple(
            ConstListValueNode(values=tuple(string(name) for name in alternative))
            for alternative in alternatives
        )
    )
