"""Attribute values checked by a JSON Schema generated from the class definition
(`jsonschema_rs`, through resolvers/json_values.py), not by hand-written checks: one object
schema per class, its properties the class's attributes (inherited ones included), `required`
its required ones, nothing else allowed. Compiled validators are shared by every class with
the same definition."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from resolvers.json_values import check_values
from subgraphs.cmdb.enums import CiAttributeType

if TYPE_CHECKING:
    from subgraphs.cmdb.classes import Attribute

STRING_MAX = 1000

VALUE_SCHEMAS: dict[CiAttributeType, dict[str, Any]] = {
    CiAttributeType.STRING: {"type": "string", "maxLength": STRING_MAX},
    CiAttributeType.INTEGER: {"type": "integer"},
    CiAttributeType.BOOLEAN: {"type": "boolean"},
    CiAttributeType.DATE: {"type": "string", "format": "date"},
    CiAttributeType.IP_ADDRESS: {
        "type": "string",
        "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}],
    },
    CiAttributeType.URL: {
        "type": "string",
        "format": "uri",
        "pattern": "^[A-Za-z][A-Za-z0-9+.-]*://",
        "maxLength": STRING_MAX,
    },
    CiAttributeType.REFERENCE: {"type": "string", "format": "uuid"},
}


def value_schema(attribute: Attribute) -> dict[str, Any]:
    if attribute.type is CiAttributeType.ENUM:
        return {"enum": list(attribute.enum_values or ())}
    return VALUE_SCHEMAS[attribute.type]


def class_schema(attributes: Sequence[Attribute]) -> dict[str, Any]:
    """The JSON Schema of a class's `attributes` object."""
    return {
        "type": "object",
        "properties": {a.name: value_schema(a) for a in attributes},
        "required": sorted(a.name for a in attributes if a.required),
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class AttributeSchema:
    """What a class's attribute values must be."""

    attributes: tuple[Attribute, ...]
    json_schema: dict[str, Any]

    @classmethod
    def of(cls, attributes: Sequence[Attribute]) -> AttributeSchema:
        return cls(tuple(attributes), class_schema(attributes))

    @property
    def references(self) -> dict[str, uuid.UUID | None]:
        """REFERENCE attributes by name, with the class their CI must be (or be below)."""
        return {
            a.name: a.reference_class_id
            for a in self.attributes
            if a.type is CiAttributeType.REFERENCE
        }

    def with_defaults(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """`values` and the defaults of the attributes they leave out."""
        filled = dict(values)
        for a in self.attributes:
            if a.default is not None and a.name not in filled:
                filled[a.name] = a.default
        return filled

    def check(self, values: Mapping[str, Any]) -> None:
        """BAD_USER_INPUT naming the first attribute (by name) that is wrong."""
        check_values(
            self.json_schema, values, "attributes", "the class has no such attribute", "attribute"
        )
