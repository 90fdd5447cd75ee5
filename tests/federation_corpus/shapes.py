"""What is compared between Apollo and us: a schema's shape and an answer's shape.

A schema's shape is every named type (introspection types and specified scalars aside) with
what a client can observe of it: kind, fields with their types and arguments, input fields,
enum values, union members, implemented interfaces. Descriptions and directive definitions
(Apollo's API schema declares ``@defer``) are not compared. An answer's shape is its data and
the sorted paths of its errors (messages differ between implementations).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    is_introspection_type,
    is_specified_scalar_type,
)


def schema_shape(schema: GraphQLSchema) -> dict[str, Any]:
    shape: dict[str, Any] = {}
    for name, named in schema.type_map.items():
        if is_introspection_type(named) or is_specified_scalar_type(named):
            continue
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            shape[name] = {
                "kind": type(named).__name__,
                "interfaces": sorted(i.name for i in named.interfaces),
                "fields": {
                    field_name: {
                        "type": str(field.type),
                        "args": {arg: str(a.type) for arg, a in sorted(field.args.items())},
                    }
                    for field_name, field in sorted(named.fields.items())
                },
            }
        elif isinstance(named, GraphQLInputObjectType):
            shape[name] = {
                "kind": "input",
                "fields": {n: str(f.type) for n, f in sorted(named.fields.items())},
            }
        elif isinstance(named, GraphQLEnumType):
            shape[name] = {"kind": "enum", "values": sorted(named.values)}
        elif isinstance(named, GraphQLUnionType):
            shape[name] = {"kind": "union", "types": sorted(t.name for t in named.types)}
        else:
            shape[name] = {"kind": "scalar"}
    return shape


def shape_from_sdl(sdl: str) -> dict[str, Any]:
    return schema_shape(build_schema(sdl))


def answer_shape(answer: dict[str, Any]) -> tuple[Any, list[list[str | int]]]:
    paths = sorted(
        (error.get("path") or [] for error in answer.get("errors") or []),
        key=lambda path: [str(step) for step in path],
    )
    return answer.get("data"), paths
