"""Read a supergraph SDL written by another composer (Apollo's ``supergraphSdl``, or ours).

The ``@join__*`` directives say, per subgraph, which types, fields, keys, enum values and
union members it defines and how (``@external``, ``@requires``, ``@provides``,
``@override``; a type it only extends, ``extension: true``, as ``@extends``). As Apollo's
gateway does, the reader extracts each subgraph's SDL from them (Federation 2 style,
``@shareable`` where several subgraphs resolve a field) and composes those with
:func:`router.composition.compose`, so a supergraph file is held to the same rules and
planned the same way as subgraphs fetched over ``_service``; the routing URLs come from
``@join__graph``. ``@inaccessible`` and ``@tag`` are carried to every copy of the element,
``@authenticated``, ``@requiresScopes``, ``@policy``, ``@cost`` and ``@listSize`` to one, so
that merging them again gives the supergraph's requirement unchanged.

Refused (``INVALID_SUPERGRAPH``): a document that is not GraphQL or has no join spec link
(Federation 1 ``@core`` supergraphs included); (``UNSUPPORTED_FEATURE``): a linked feature
``for: SECURITY`` or ``EXECUTION`` that is not known here (Apollo's gateway refuses those
too), ``@join__directive`` and ``@fromContext`` context arguments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from graphql import (
    BooleanValueNode,
    ConstDirectiveNode,
    ConstListValueNode,
    DefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumValueDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    GraphQLSyntaxError,
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
    SchemaExtensionNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    parse,
    parse_type,
    print_ast,
)

from router.composition.compose import compose
from router.composition.federation import API_DIRECTIVES, list_argument, string_argument
from router.composition.join_directives import directive, string
from router.composition.model import CompositionError, CompositionIssue, SubgraphSource, Supergraph

SPEC_PREFIX = "https://specs.apollo.dev/"
JOIN_VERSIONS = frozenset({"v0.2", "v0.3", "v0.4", "v0.5"})
FEDERATION_LINK = "https://specs.apollo.dev/federation/v2.9"
# Linked features whose directives are carried into the extracted subgraphs, by feature name:
# its directives, and whether every copy of an element gets them (else only the first).
CARRIED_FEATURES: dict[str, tuple[tuple[str, ...], bool]] = {
    "inaccessible": (("inaccessible",), True),
    "tag": (("tag",), True),
    "authenticated": (("authenticated",), False),
    "requiresScopes": (("requiresScopes",), False),
    "policy": (("policy",), False),
    "cost": (("cost", "listSize"), False),
}
_IMPORTED = tuple(
    f"@{name}"
    for name in (
        *("key", "shareable", "external", "requires", "provides", "override"),
        *("interfaceObject", "inaccessible", "tag", "authenticated", "requiresScopes"),
        *("policy", "cost", "listSize", "extends"),
    )
)
_DEFAULT_ROOTS = {
    OperationType.QUERY: "Query",
    OperationType.MUTATION: "Mutation",
    OperationType.SUBSCRIPTION: "Subscription",
}


def read_supergraph(sdl: str) -> Supergraph:
    """The supergraph a supergraph SDL describes; :class:`CompositionError` when it is not one
    this router can serve, or when its subgraphs do not compose under our rules."""
    return compose(extract_subgraphs(sdl))


def extract_subgraphs(sdl: str) -> list[SubgraphSource]:
    """Each subgraph's SDL and URL as recorded by the ``@join__*`` directives."""
    try:
        document = parse(sdl, no_location=True)
    except GraphQLSyntaxError as error:
        raise _invalid(f"not GraphQL: {error.message}") from error
    return _Extractor(document).extract()


def _invalid(message: str) -> CompositionError:
    return CompositionError([CompositionIssue("INVALID_SUPERGRAPH", message)])


@dataclass
class _Graph:
    """One subgraph being extracted: its definitions in supergraph order."""

    name: str
    url: str
    definitions: list[DefinitionNode] = field(default_factory=list)


class _Extractor:
    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.issues: list[CompositionIssue] = []
        self.join = "join"
        # Local directive name → (canonical directive name, carried to every copy).
        self.carried: dict[str, tuple[str, bool]] = {}
        self.feature_prefixes: set[str] = {"join__", "link__"}
        self.roots = dict(_DEFAULT_ROOTS)
        self.graphs: dict[str, _Graph] = {}
        # Per graph, every name its ``@provides`` field sets mention: an ``@external`` field
        # named there is resolved by that subgraph too, so the owner's copy is ``@shareable``.
        self.provided: dict[str, set[str]] = {}
        # ``Type.field`` coordinates resolved both by an implementation's own subgraph and by
        # an ``@interfaceObject`` of its interface (each copy is then ``@shareable``), with
        # the interface-object graphs per interface.
        self.shared_with_interface_objects: set[str] = set()
        self.interface_object_graphs: dict[str, set[str]] = {}

    def extract(self) -> list[SubgraphSource]:
        self._read_links()
        self._read_graphs()
        self._read_provides()
        self._read_interface_objects()
        for definition in self.document.definitions:
            if not isinstance(definition, TypeDefinitionNode):
                continue
            if definition.name.value.startswith(tuple(self.feature_prefixes)):
                continue
            self._type(definition)
        if self.issues:  # each copy of an element reports its problems: once is enough
            raise CompositionError(list(dict.fromkeys(self.issues)))
        return [self._source(graph) for graph in self.graphs.values()]

    # --- the schema's links and the join__Graph enum ---------------------------------------

    def _read_links(self) -> None:
        joined = False
        for definition in self.document.definitions:
            if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
                continue
            for operation in definition.operation_types or ():
                self.roots[operation.operation] = operation.type.name.value
            for link in definition.directives or ():
                url = string_argument(link, "url")
                if link.name.value != "link" or url is None:
                    continue
                if not url.startswith(SPEC_PREFIX):
                    self._unknown_feature(url, link)
                    continue
                feature, _, version = url.removeprefix(SPEC_PREFIX).rstrip("/").partition("/")
                local = string_argument(link, "as") or feature
                self.feature_prefixes.add(f"{local}__")
                if feature == "join":
                    if version not in JOIN_VERSIONS:
                        raise _invalid(f"join spec {version} is not supported (v0.2 to v0.5 are)")
                    self.join, joined = local, True
                elif feature in CARRIED_FEATURES:
                    self._carry(feature, local, link)
                elif feature == "link":
                    continue
                else:
                    self._unknown_feature(url, link)
        if not joined:
            raise _invalid("no @link to the join spec (https://specs.apollo.dev/join/v0.x)")

    def _unknown_feature(self, url: str, link: ConstDirectiveNode) -> None:
        """A feature this router does not know is fine unless the supergraph says it is
        needed to resolve fields securely or correctly (``for: SECURITY``/``EXECUTION``)."""
        purpose = _enum(link, "for")
        if purpose is not None:
            self.issues.append(
                CompositionIssue(
                    "UNSUPPORTED_FEATURE",
                    f"feature {url} is for: {purpose} but is not supported by this router",
                )
            )

    def _carry(self, feature: str, local: str, link: ConstDirectiveNode) -> None:
        directives, everywhere = CARRIED_FEATURES[feature]
        for name in directives:
            self.carried[f"{local}__{name}"] = (name, everywhere)
        self.carried[local] = (feature, everywhere)
        imports = list_argument(link, "import")
        for item in imports:
            if isinstance(item, StringValueNode) and item.value.lstrip("@") in directives:
                self.carried[item.value.lstrip("@")] = (item.value.lstrip("@"), everywhere)

    def _read_graphs(self) -> None:
        for definition in self.document.definitions:
            if (
                isinstance(definition, EnumTypeDefinitionNode)
                and definition.name.value == f"{self.join}__Graph"
            ):
                for value in definition.values or ():
                    for join in self._joins(value.directives, "graph"):
                        name, url = string_argument(join, "name"), string_argument(join, "url")
                        if name is None or url is None:
                            raise _invalid(f"{value.name.value}: @join__graph needs name and url")
                        self.graphs[value.name.value] = _Graph(name, url)
        if not self.graphs:
            raise _invalid(f"no subgraph: the {self.join}__Graph enum is missing or empty")

    def _read_provides(self) -> None:
        for definition in self.document.definitions:
            for field_node in getattr(definition, "fields", None) or ():
                for join in self._joins(field_node.directives, "field"):
                    provides = string_argument(join, "provides")
                    if provides is not None:
                        names = re.findall(r"[_A-Za-z]\w*", provides)
                        self.provided.setdefault(join_graph(join) or "", set()).update(names)

    def _read_interface_objects(self) -> None:
        provided: dict[str, set[str]] = {}
        for node in self.document.definitions:
            if not isinstance(node, InterfaceTypeDefinitionNode):
                continue
            graphs = {
                join_graph(join)
                for join in self._joins(node.directives, "type")
                if _bool(join, "isInterfaceObject", default=False)
            }
            if not graphs:
                continue
            self.interface_object_graphs[node.name.value] = {g for g in graphs if g}
            for field_node in node.fields or ():
                joins = self._joins(field_node.directives, "field")
                if not joins or any(
                    join_graph(join) in graphs and not _bool(join, "external", default=False)
                    for join in joins
                ):
                    provided.setdefault(node.name.value, set()).add(field_node.name.value)
        for node in self.document.definitions:
            if not isinstance(node, ObjectTypeDefinitionNode):
                continue
            for interface in (named.name.value for named in node.interfaces or ()):
                for field_node in node.fields or ():
                    name = field_node.name.value
                    joins = self._joins(field_node.directives, "field")
                    # Only bare @join__fields: no subgraph of the type resolves it itself.
                    resolved_here = not joins or any(join_graph(join) for join in joins)
                    if name in provided.get(interface, ()) and resolved_here:
                        self.shared_with_interface_objects.add(f"{node.name.value}.{name}")
                        self.shared_with_interface_objects.add(f"{interface}.{name}")

    # --- one supergraph type into its subgraph copies ---------------------------------------

    def _type(self, node: TypeDefinitionNode) -> None:
        name = node.name.value
        applications = self._joins(node.directives, "type")
        graphs: dict[str, list[ConstDirectiveNode]] = {}
        for application in applications:
            graph = self._graph(application, name)
            if graph is not None:
                graphs.setdefault(graph, []).append(application)
        if not applications and isinstance(node, ScalarTypeDefinitionNode):
            graphs = {graph: [] for graph in self.graphs}
        elif not applications:
            self.issues.append(CompositionIssue("INVALID_SUPERGRAPH", f"{name}: no @join__type"))
            return
        for join in self._joins(node.directives, "directive"):
            self._unsupported(name, f"@join__directive(name: {string_argument(join, 'name')!r})")
        first = True
        type_graphs = list(graphs)  # in supergraph order: the first gets one-copy directives
        for graph, joins in graphs.items():
            directives = [*self._type_directives(joins), *self._carried_on(node.directives, first)]
            first = False
            copy = self._copy(node, graph, joins, directives, type_graphs)
            self.graphs[graph].definitions.append(copy)

    def _type_directives(self, joins: list[ConstDirectiveNode]) -> list[ConstDirectiveNode]:
        found = []
        for join in joins:
            key = string_argument(join, "key")
            if key is not None:
                resolvable = _bool(join, "resolvable", default=True)
                found.append(
                    directive(
                        "key", fields=string(key), **({} if resolvable else {"resolvable": _no()})
                    )
                )
        if any(_bool(join, "isInterfaceObject", default=False) for join in joins):
            found.append(directive("interfaceObject"))
        if any(_bool(join, "extension", default=False) for join in joins):
            found.append(directive("extends"))  # the subgraph only extends the type
        return found

    def _copy(
        self,
        node: TypeDefinitionNode,
        graph: str,
        joins: list[ConstDirectiveNode],
        directives: list[ConstDirectiveNode],
        type_graphs: list[str],
    ) -> TypeDefinitionNode:
        name, description, marks = node.name, node.description, tuple(directives)
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            interfaces = tuple(
                NamedTypeNode(name=NameNode(value=string_argument(join, "interface") or ""))
                for join in self._joins(node.directives, "implements")
                if self._graph(join, node.name.value) == graph
            )
            fields = tuple(self._object_fields(node, graph, type_graphs))
            object_like = isinstance(node, ObjectTypeDefinitionNode) or any(
                _bool(join, "isInterfaceObject", default=False) for join in joins
            )
            kind = ObjectTypeDefinitionNode if object_like else InterfaceTypeDefinitionNode
            return kind(
                name=name,
                description=description,
                directives=marks,
                interfaces=interfaces,
                fields=fields,
            )
        if isinstance(node, InputObjectTypeDefinitionNode):
            inputs = tuple(self._input_fields(node, graph, type_graphs))
            return InputObjectTypeDefinitionNode(
                name=name, description=description, directives=marks, fields=inputs
            )
        if isinstance(node, EnumTypeDefinitionNode):
            return EnumTypeDefinitionNode(
                name=name,
                description=description,
                directives=marks,
                values=tuple(self._enum_values(node, graph, type_graphs)),
            )
        if isinstance(node, UnionTypeDefinitionNode):
            members = self._joins(node.directives, "unionMember")
            mine = {
                string_argument(member, "member")
                for member in members
                if self._graph(member, node.name.value) == graph
            }
            # In the supergraph's order of members, which is the order the client sees.
            types = tuple(t for t in node.types or () if not members or t.name.value in mine)
            return UnionTypeDefinitionNode(
                name=name, description=description, directives=marks, types=types
            )
        return ScalarTypeDefinitionNode(name=name, description=description, directives=marks)

    def _object_fields(
        self,
        node: ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode,
        graph: str,
        type_graphs: list[str],
    ) -> Iterable[FieldDefinitionNode]:
        object_type = isinstance(node, ObjectTypeDefinitionNode)
        for field_node in node.fields or ():
            coordinate = f"{node.name.value}.{field_node.name.value}"
            joins = self._field_joins(field_node.directives, coordinate, type_graphs)
            if joins is None:
                continue
            mine = [join for join in joins if self._graph(join, coordinate) == graph]
            if joins and not mine:
                continue
            join = mine[0] if mine else None
            resolving = [j for j in joins if self._resolves(j, field_node.name.value)]
            shareable = object_type and (len(resolving) > 1 if joins else len(type_graphs) > 1)
            if coordinate in self.shared_with_interface_objects and (
                object_type or graph in self.interface_object_graphs.get(node.name.value, ())
            ):
                shareable = True
            first_graph = self._graph(resolving[0], coordinate) if resolving else None
            first = (first_graph == graph) if joins else graph == next(iter(type_graphs), None)
            yield FieldDefinitionNode(
                name=field_node.name,
                description=field_node.description,
                arguments=tuple(self._input_value(arg, True) for arg in field_node.arguments or ()),
                type=self._type_ref(join, field_node.type, coordinate),
                directives=(
                    *self._field_directives(join, shareable, coordinate),
                    *self._carried_on(field_node.directives, first),
                ),
            )

    def _resolves(self, join: ConstDirectiveNode, field_name: str) -> bool:
        """Whether the join's subgraph resolves the field: it is not ``@external`` there (or a
        ``@provides`` of that subgraph names it) and not taken over by an ``@override``."""
        if _bool(join, "usedOverridden", default=False):
            return False
        external = _bool(join, "external", default=False)
        return not external or field_name in self.provided.get(join_graph(join) or "", set())

    def _field_joins(
        self,
        directives: Sequence[ConstDirectiveNode] | None,
        coordinate: str,
        type_graphs: list[str],
    ) -> list[ConstDirectiveNode] | None:
        """The field's ``@join__field``s naming a graph (none: every graph of its type has
        it); None when no subgraph gets the field (only graph-less ``@join__field``s, as
        Apollo's extraction reads them) or it cannot be served."""
        declared = self._joins(directives, "field")
        joins = [join for join in declared if join_graph(join)]
        if declared and not joins:
            return None
        for join in joins:
            if list_argument(join, "contextArguments"):
                self._unsupported(coordinate, "@fromContext (join__field contextArguments)")
                return None
            graph = self._graph(join, coordinate)
            if graph is not None and graph not in type_graphs:
                self.issues.append(
                    CompositionIssue(
                        "INVALID_SUPERGRAPH",
                        f"{coordinate}: @join__field names {graph}, which has no @join__type",
                    )
                )
                return None
        return joins

    def _field_directives(
        self, join: ConstDirectiveNode | None, shareable: bool, coordinate: str
    ) -> list[ConstDirectiveNode]:
        if join is None:
            return [directive("shareable")] if shareable else []
        found = [
            directive(name, fields=string(value))
            for name in ("requires", "provides")
            if (value := string_argument(join, name)) is not None
        ]
        external = _bool(join, "external", default=False)
        overridden = _bool(join, "usedOverridden", default=False)
        label = string_argument(join, "overrideLabel")
        if external or (overridden and label is None):
            found.append(directive("external"))
        source = string_argument(join, "override")
        if source is not None:
            extra = {} if label is None else {"label": string(label)}
            found.append(directive("override", **{"from": string(source)}, **extra))
        if shareable and not external and not overridden:
            found.append(directive("shareable"))
        return found

    def _type_ref(
        self, join: ConstDirectiveNode | None, default: TypeNode, coordinate: str
    ) -> TypeNode:
        text = None if join is None else string_argument(join, "type")
        if text is None:
            return default
        try:
            return parse_type(text, no_location=True)
        except GraphQLSyntaxError:
            self.issues.append(
                CompositionIssue("INVALID_SUPERGRAPH", f"{coordinate}: type {text!r} is no type")
            )
            return default

    def _input_fields(
        self, node: InputObjectTypeDefinitionNode, graph: str, type_graphs: list[str]
    ) -> Iterable[InputValueDefinitionNode]:
        first = graph == next(iter(type_graphs), None)
        for input_field in node.fields or ():
            coordinate = f"{node.name.value}.{input_field.name.value}"
            joins = self._field_joins(input_field.directives, coordinate, type_graphs)
            if joins is None:
                continue
            mine = [join for join in joins if self._graph(join, coordinate) == graph]
            if joins and not mine:
                continue
            copied = self._input_value(input_field, first)
            yield InputValueDefinitionNode(
                name=copied.name,
                description=copied.description,
                type=self._type_ref(mine[0] if mine else None, copied.type, coordinate),
                default_value=copied.default_value,
                directives=copied.directives,
            )

    def _enum_values(
        self, node: EnumTypeDefinitionNode, graph: str, type_graphs: list[str]
    ) -> Iterable[EnumValueDefinitionNode]:
        for value in node.values or ():
            joins = self._joins(value.directives, "enumValue")
            graphs = [self._graph(join, node.name.value) for join in joins] or type_graphs
            if graph in graphs:
                yield EnumValueDefinitionNode(
                    name=value.name,
                    description=value.description,
                    directives=self._carried_on(value.directives, graph == graphs[0]),
                )

    def _input_value(self, node: InputValueDefinitionNode, first: bool) -> InputValueDefinitionNode:
        return InputValueDefinitionNode(
            name=node.name,
            description=node.description,
            type=node.type,
            default_value=node.default_value,
            directives=self._carried_on(node.directives, first),
        )

    # --- directives ------------------------------------------------------------------------

    def _joins(
        self, directives: Sequence[ConstDirectiveNode] | None, name: str
    ) -> list[ConstDirectiveNode]:
        return [d for d in directives or () if d.name.value == f"{self.join}__{name}"]

    def _graph(self, join: ConstDirectiveNode, coordinate: str) -> str | None:
        graph = join_graph(join)
        if graph is None or graph not in self.graphs:
            self.issues.append(
                CompositionIssue(
                    "INVALID_SUPERGRAPH", f"{coordinate}: graph {graph} is not in join__Graph"
                )
            )
            return None
        return graph

    def _carried_on(
        self, directives: Sequence[ConstDirectiveNode] | None, first: bool
    ) -> tuple[ConstDirectiveNode, ...]:
        """The element's API directives, and the carried features' (under federation names)."""
        found = []
        for applied in directives or ():
            name = applied.name.value
            carried = self.carried.get(name)
            if name in API_DIRECTIVES:
                found.append(applied)
            elif carried is not None and (carried[1] or first):
                found.append(
                    ConstDirectiveNode(name=NameNode(value=carried[0]), arguments=applied.arguments)
                )
        return tuple(found)

    def _unsupported(self, coordinate: str, what: str) -> None:
        self.issues.append(
            CompositionIssue("UNSUPPORTED_FEATURE", f"{coordinate}: {what} is not supported")
        )

    def _source(self, graph: _Graph) -> SubgraphSource:
        link = directive(
            "link",
            url=string(FEDERATION_LINK),
            **{"import": ConstListValueNode(values=tuple(string(name) for name in _IMPORTED))},
        )
        present = {
            definition.name.value
            for definition in graph.definitions
            if isinstance(definition, TypeDefinitionNode)
        }
        operations = tuple(
            OperationTypeDefinitionNode(
                operation=operation, type=NamedTypeNode(name=NameNode(value=type_name))
            )
            for operation, type_name in self.roots.items()
            if type_name in present
        )
        schema: SchemaDefinitionNode | SchemaExtensionNode = (
            SchemaDefinitionNode(directives=(link,), operation_types=operations)
            if operations
            else SchemaExtensionNode(directives=(link,), operation_types=())
        )
        types = print_ast(DocumentNode(definitions=tuple(graph.definitions)))
        return SubgraphSource(graph.name, f"{print_ast(schema)}\n\n{types}\n", graph.url)


def join_graph(join: DirectiveNode) -> str | None:
    """The ``graph:`` enum value of a ``@join__*`` application."""
    return _enum(join, "graph")


def _argument(directive: DirectiveNode, name: str) -> object:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return argument.value
    return None


def _enum(directive: DirectiveNode, name: str) -> str | None:
    value = _argument(directive, name)
    return value.value if isinstance(value, EnumValueNode) else None


def _bool(directive: DirectiveNode, name: str, *, default: bool) -> bool:
    value = _argument(directive, name)
    return value.value if isinstance(value, BooleanValueNode) else default


def _no() -> BooleanValueNode:
    return BooleanValueNode(value=False)
