"""The tenant's custom field definitions as a read model, and the JSON Schema of an incident's
values generated from them. No Strawberry here (the enum is also the GraphQL one).

Values are one JSON object per incident, by field name:

| type | JSON value | e.g. |
|---|---|---|
| STRING | a string of at most 1000 characters | `"EMEA"` |
| NUMBER | a number | `42.5` |
| BOOLEAN | true or false | `true` |
| DATE | an ISO 8601 calendar date | `"2026-12-24"` |
| ENUM | one of the field's values | `"gold"` |
| USER | a User id (checked with the identity domain) | `"7c0c…"` |

Writes are checked as a whole: an unknown name, a value of the wrong type or outside the enum,
a missing required value is BAD_USER_INPUT naming the field (`customFields.<name>`).
`required` holds on create; an update may not clear a required value (incidents created
before the field was defined, which lack it, stay writable)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import bindparam, select

from resolvers.errors import BadUserInput
from resolvers.json_values import check_values
from subgraphs.incidents.custom_fields import tables

PREFIX = "customFields"
NAME = re.compile(r"[a-z][A-Za-z0-9_]*")
NAME_MAX = 50
FIELDS_MAX = 50
STRING_MAX = 1000
ENUM_VALUES_MAX = 100
ENUM_VALUE_MAX = 100


@strawberry.enum(description="The type of a custom field's values.")
class IncidentFieldType(Enum):
    STRING = strawberry.enum_value("STRING", description="Text, at most 1000 characters.")
    NUMBER = strawberry.enum_value("NUMBER", description="A number (integer or decimal).")
    BOOLEAN = strawberry.enum_value("BOOLEAN", description="true or false.")
    DATE = strawberry.enum_value("DATE", description="A calendar date, 2026-12-24.")
    ENUM = strawberry.enum_value("ENUM", description="One of the field's enumValues.")
    USER = strawberry.enum_value("USER", description="A User id of the tenant.")


VALUE_SCHEMAS: dict[IncidentFieldType, dict[str, Any]] = {
    IncidentFieldType.STRING: {"type": "string", "maxLength": STRING_MAX},
    IncidentFieldType.NUMBER: {"type": "number"},
    IncidentFieldType.BOOLEAN: {"type": "boolean"},
    IncidentFieldType.DATE: {"type": "string", "format": "date"},
    IncidentFieldType.USER: {"type": "string", "format": "uuid"},
}


@dataclass(frozen=True)
class FieldDefinition:
    name: str
    type: IncidentFieldType
    required: bool
    enum_values: tuple[str, ...] | None

    @classmethod
    def of(cls, row: Any) -> FieldDefinition:
        values = row.enum_values
        return cls(row.name, IncidentFieldType(row.type), row.required, tuple(values or ()) or None)

    def value_schema(self) -> dict[str, Any]:
        if self.type is IncidentFieldType.ENUM:
            return {"enum": list(self.enum_values or ())}
        return VALUE_SCHEMAS[self.type]


@dataclass(frozen=True)
class FieldCatalogue:
    """A tenant's custom fields, by name."""

    fields: Mapping[str, FieldDefinition]

    def schema(self, required: Iterable[str]) -> dict[str, Any]:
        """The JSON Schema of a values object in which `required` must be present."""
        return {
            "type": "object",
            "properties": {name: f.value_schema() for name, f in self.fields.items()},
            "required": sorted(required),
            "additionalProperties": False,
        }

    def check(self, values: Mapping[str, Any], required: Iterable[str]) -> None:
        check_values(
            self.schema(required), values, PREFIX, "the tenant has no such incident field", "name"
        )

    def users(self, values: Mapping[str, Any]) -> dict[str, uuid.UUID]:
        """The USER values, by argument name (`customFields.<name>`), for the check that
        they name users of the tenant. Call after `check` (the values are UUIDs)."""
        return {
            f"{PREFIX}.{name}": uuid.UUID(values[name])
            for name, f in self.fields.items()
            if f.type is IncidentFieldType.USER and values.get(name) is not None
        }

    @property
    def required(self) -> list[str]:
        return [name for name, f in self.fields.items() if f.required]


_Field = tables.IncidentField
# Built once: the request's database scope finds it by identity (db/reads.py), no cache key.
_CATALOGUE = (
    select(_Field.name, _Field.type, _Field.required, _Field.enum_values)
    .where(_Field.tenant_id == bindparam("tenant_id"))
    .order_by(_Field.name)
)


async def read_catalogue(db: Any, tenant_id: uuid.UUID) -> FieldCatalogue:
    """The tenant's fields (one statement through the request's database scope)."""
    rows = await db.rows(_CATALOGUE, {"tenant_id": tenant_id})
    return FieldCatalogue({row.name: FieldDefinition.of(row) for row in rows})


def created_values(
    catalogue: FieldCatalogue, given: Any
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The values of a new incident (nulls dropped), checked with every required field, and
    their history entries `{customFields.<name>: [None, value]}`."""
    values = _object(given)
    values = {name: value for name, value in values.items() if value is not None}
    catalogue.check(values, catalogue.required)
    values = _canonical(catalogue, values)
    return values, {f"{PREFIX}.{name}": [None, value] for name, value in sorted(values.items())}


def patch_values(catalogue: FieldCatalogue, patch: Any) -> dict[str, Any]:
    """The values an update sets (its patch's non-null ones), checked without the incident:
    known names, right types (what `users` needs before the unit of work)."""
    given = _object(patch)
    unknown = sorted(name for name in given if name not in catalogue.fields)
    values = {name: value for name, value in given.items() if value is not None}
    catalogue.check({**values, **{name: None for name in unknown}}, ())
    return _canonical(catalogue, values)


def updated_values(
    catalogue: FieldCatalogue, current: Mapping[str, Any], patch: Any
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The values after `patch` (a JSON merge patch: a name with a value sets it, with null
    removes it), checked; a required value present before may not be removed. Returns the new
    values and the changed ones `{customFields.<name>: [old, new]}` (empty: nothing changed)."""
    patch = _object(patch)
    merged = dict(current)
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    still_required = [name for name in catalogue.required if name in current]
    catalogue.check(merged, still_required)
    merged = _canonical(catalogue, merged)
    changes = {
        f"{PREFIX}.{name}": [current.get(name), merged.get(name)]
        for name in sorted(set(current) | set(merged))
        if current.get(name) != merged.get(name)
    }
    return merged, changes


def _object(values: Any) -> dict[str, Any]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise BadUserInput(f"{PREFIX} must be a JSON object", field=PREFIX)
    return dict(values)


def _canonical(catalogue: FieldCatalogue, values: Mapping[str, Any]) -> dict[str, Any]:
    """USER values in the UUID's canonical (lower-case) spelling, so equality filters match."""
    out = dict(values)
    for name, f in catalogue.fields.items():
        if f.type is IncidentFieldType.USER and name in out:
            out[name] = str(uuid.UUID(out[name]))
    return out


def enum_values(values: Sequence[str] | None, argument: str) -> list[str]:
    """An ENUM field's values: 1-ENUM_VALUES_MAX distinct values of 1-ENUM_VALUE_MAX
    characters (BAD_USER_INPUT naming `argument`)."""
    if not values:
        raise BadUserInput("An ENUM field needs enumValues", field=argument)
    if len(values) > ENUM_VALUES_MAX or len(set(values)) != len(values):
        raise BadUserInput(
            f"{argument} must be at most {ENUM_VALUES_MAX} distinct values", field=argument
        )
    if any(not v or len(v) > ENUM_VALUE_MAX for v in values):
        raise BadUserInput(
            f"each of {argument} must be 1-{ENUM_VALUE_MAX} characters", field=argument
        )
    return list(values)
