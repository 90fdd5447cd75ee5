"""The custom field inputs: a new definition, and a filter condition on values."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from subgraphs.incidents.custom_fields.definitions import IncidentFieldType


@strawberry.input(description="A new custom field of the tenant's incidents.")
class CreateIncidentFieldInput:
    name: str = strawberry.field(
        description="The key of its values in `customFields`: starts with a lower-case letter; "
        "letters, digits and _ (at most 50 characters); unique within the tenant."
    )
    type: IncidentFieldType = strawberry.field(description="The type of its values.")
    required: bool = strawberry.field(
        default=False,
        description="Every new incident must have a value; a value once set cannot be cleared.",
    )
    enum_values: list[str] | None = strawberry.field(
        default=None, description="The values an ENUM field may take (ENUM only; 1-100)."
    )


@strawberry.input(
    description="A condition on one custom field's value; all the given parts must hold."
)
class IncidentFieldCondition:
    name: str = strawberry.field(description="The field's name.")
    eq: JSON | None = strawberry.field(default=None, description="Equal to.")
    in_: list[JSON] | None = strawberry.field(
        default=None, name="in", description="Equal to one of these (at most 100)."
    )
    gt: JSON | None = strawberry.field(
        default=None, description="Greater than (numbers; strings and dates compare as text)."
    )
    gte: JSON | None = strawberry.field(default=None, description="Greater than or equal to.")
    lt: JSON | None = strawberry.field(default=None, description="Less than.")
    lte: JSON | None = strawberry.field(default=None, description="Less than or equal to.")
    exists: bool | None = strawberry.field(
        default=None, description="True: the incident has a value for it; false: it has none."
    )
