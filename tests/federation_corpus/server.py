"""Every corpus subgraph served over HTTP from its SDL and data, by one loopback server.

A subgraph answers at ``/<case>/<subgraph>`` the way a federation library's subgraph would:
``_service { sdl }`` returns the SDL as written, ``_entities`` resolves representations (see
``case.py``), every other field reads its parent dict. The schema is built with graphql-core
from the SDL, turned into what ``buildSubgraphSchema`` would serve: directive definitions and
federation types dropped (applied directives stay on the AST, unvalidated), a type known only
through ``extend type`` defined by its first extension, ``_Any``/``_Entity``/``_Service`` and
the two root fields added.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import uvicorn
from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    FieldNode,
    GraphQLResolveInfo,
    GraphQLSchema,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    SelectionSetNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    build_ast_schema,
    graphql,
    is_abstract_type,
    parse,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.federation_corpus.case import Case, Subgraph
from tests.support import free_port

_FEDERATION_TYPES = {"_Any", "_Entity", "_Service", "_FieldSet", "FieldSet", "link__Import"}
_FEDERATION_TYPE_PREFIXES = ("link__", "federation__", "join__")
_ADDED = """
scalar _Any
type _Service { sdl: String }
"""


class SubgraphServer:
    """One case's subgraph: its executable schema and data."""

    def __init__(self, subgraph: Subgraph) -> None:
        self.subgraph = subgraph
        document = parse(subgraph.sdl)
        self.keys = _entity_keys(document)
        self.schema = _executable_schema(document, self.keys)
        for coordinate, resolver in subgraph.resolvers.items():
            type_name, field_name = coordinate.split(".")
            self.schema.type_map[type_name].fields[field_name].resolve = _call(resolver)  # type: ignore[attr-defined]
        query_type = self.schema.query_type
        assert query_type is not None
        query_type.fields["_service"].resolve = lambda *_: {"sdl": subgraph.sdl}
        if "_entities" in query_type.fields:
            query_type.fields["_entities"].resolve = self._entities

    async def execute(self, body: Mapping[str, Any]) -> dict[str, Any]:
        data = self.subgraph.data
        root = {**data.get("Query", {}), **data.get("Mutation", {})}
        result = await graphql(
            self.schema,
            body.get("query") or "",
            root_value=root,
            variable_values=body.get("variables"),
            operation_name=body.get("operationName"),
            field_resolver=_field,
            type_resolver=_type_of,
        )
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [error.formatted for error in result.errors]
        return answer

    def _entities(
        self, _root: object, _info: GraphQLResolveInfo, representations: list[dict[str, Any]]
    ) -> list[dict[str, Any] | None]:
        return [self._entity(representation) for representation in representations]

    def _entity(self, representation: dict[str, Any]) -> dict[str, Any] | None:
        typename = representation["__typename"]
        rows = self.subgraph.data.get("entities", {}).get(typename)
        if rows is None:
            is_abstract = is_abstract_type(self.schema.type_map.get(typename))
            return None if is_abstract else dict(representation)
        for key in self.keys.get(typename, ()):
            wanted = _project(representation, key)
            if wanted is None:
                continue
            for row in rows:
                if _project(row, key) == wanted:
                    found = {**row, **representation}
                    found["__typename"] = row.get("__typename", typename)
                    return found
        return None


def _field(parent: Any, info: GraphQLResolveInfo, **_arguments: Any) -> Any:
    value = parent.get(info.field_name) if isinstance(parent, Mapping) else None
    if isinstance(value, Exception):
        raise value
    return value


def _type_of(value: Any, _info: GraphQLResolveInfo, _type: Any) -> str | None:
    return value.get("__typename") if isinstance(value, Mapping) else None


def _call(resolver: Any) -> Any:
    def resolve(parent: Any, _info: GraphQLResolveInfo, **arguments: Any) -> Any:
        value = resolver(parent, **arguments)
        if isinstance(value, Exception):
            raise value
        return value

    return resolve


def _project(value: Any, selection: SelectionSetNode) -> Any:
    """The part of ``value`` a key's field set selects; ``None`` when a key field is missing."""
    if not isinstance(value, Mapping):
        return value
    projected = {}
    for node in selection.selections:
        assert isinstance(node, FieldNode)
        name = node.name.value
        if name not in value:
            return None
        inner = value[name]
        if node.selection_set is not None:
            inner = (
                [_project(item, node.selection_set) for item in inner]
                if isinstance(inner, list)
                else _project(inner, node.selection_set)
            )
        projected[name] = inner
    return projected


def _is_key(directive_name: str) -> bool:
    return directive_name in ("key", "federation__key")


def _entity_keys(document: DocumentNode) -> dict[str, list[SelectionSetNode]]:
    """Each type's ``@key`` field sets (on definitions and extensions alike)."""
    keys: dict[str, list[SelectionSetNode]] = {}
    for node in document.definitions:
        if not isinstance(
            node,
            ObjectTypeDefinitionNode
            | ObjectTypeExtensionNode
            | InterfaceTypeDefinitionNode
            | InterfaceTypeExtensionNode,
        ):
            continue
        for directive in node.directives or ():
            if not _is_key(directive.name.value):
                continue
            for argument in directive.arguments or ():
                if argument.name.value == "fields" and isinstance(argument.value, StringValueNode):
                    operation = parse("{" + argument.value.value + "}").definitions[0]
                    keys.setdefault(node.name.value, []).append(operation.selection_set)  # type: ignore[attr-defined]
    return keys


def _executable_schema(
    document: DocumentNode, keys: Mapping[str, list[SelectionSetNode]]
) -> GraphQLSchema:
    kept: list[Any] = []
    defined = {
        node.name.value for node in document.definitions if isinstance(node, TypeDefinitionNode)
    }
    for node in document.definitions:
        if isinstance(node, DirectiveDefinitionNode | SchemaDefinitionNode | SchemaExtensionNode):
            continue
        if isinstance(node, TypeDefinitionNode | TypeExtensionNode):
            name = node.name.value
            if name in _FEDERATION_TYPES or name.startswith(_FEDERATION_TYPE_PREFIXES):
                continue
            if isinstance(node, ObjectTypeExtensionNode | InterfaceTypeExtensionNode) and (
                name not in defined
            ):
                definition = (
                    ObjectTypeDefinitionNode
                    if isinstance(node, ObjectTypeExtensionNode)
                    else InterfaceTypeDefinitionNode
                )
                node = definition(
                    name=node.name,
                    interfaces=node.interfaces,
                    directives=node.directives,
                    fields=node.fields,
                )
                defined.add(name)
        kept.append(node)
    objects = [
        node.name.value
        for node in kept
        if isinstance(node, ObjectTypeDefinitionNode) and node.name.value in keys
    ]
    extra = _ADDED
    if objects:
        extra += f"union _Entity = {' | '.join(dict.fromkeys(objects))}\n"
    entities = "_entities(representations: [_Any!]!): [_Entity]!" if objects else ""
    root = "Query" if "Query" in defined else None
    extra += (
        f"extend type Query {{ _service: _Service! {entities} }}"
        if root
        else f"type Query {{ _service: _Service! {entities} }}"
    )
    merged = DocumentNode(definitions=(*kept, *parse(extra).definitions))
    return build_ast_schema(merged, assume_valid_sdl=True)


def corpus_app(cases: list[Case]) -> Starlette:
    """One app serving every subgraph of every case at ``/<case>/<subgraph>``."""
    servers = {
        (case.name, name): SubgraphServer(subgraph)
        for case in cases
        for name, subgraph in case.subgraphs.items()
    }

    async def answer(request: Request) -> JSONResponse:
        server = servers[(request.path_params["case"], request.path_params["subgraph"])]
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"errors": [{"message": "body is not JSON"}]}, status_code=400)
        return JSONResponse(await server.execute(body))

    return Starlette(routes=[Route("/{case}/{subgraph}", answer, methods=["POST"])])


@contextmanager
def serving(cases: list[Case]) -> Iterator[str]:
    """Serve the corpus on a loopback port (a thread); yields the base URL."""
    port = free_port()
    config = uvicorn.Config(corpus_app(cases), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the corpus server did not start")
            threading.Event().wait(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
