"""Inputs, filters and orderings of the CMDB API."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from subgraphs.cmdb import enums


@strawberry.input(description="A new configuration item.")
class CreateConfigurationItemInput:
    class_name: str = strawberry.field(description="Its class, e.g. Server.")
    name: str = strawberry.field(description="Unique within the tenant and class (1-200).")
    status: enums.CiStatus = strawberry.field(
        default=enums.CiStatus.IN_SERVICE, description="Where it is in its life (not RETIRED)."
    )
    environment: enums.CiEnvironment = strawberry.field(
        default=enums.CiEnvironment.PRODUCTION, description="Its environment."
    )
    criticality: int = strawberry.field(default=3, description="Tier 1 (most critical) to 4.")
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="A User id.")
    support_team_id: strawberry.ID | None = strawberry.field(default=None, description="A Team id.")
    # Default null, not {}: graphql-js (Apollo's composition) cannot print an object default.
    attributes: JSON | None = strawberry.field(
        default=None,
        description="Values of its class's attributes (defaults fill the ones left out).",
    )
    source: str | None = strawberry.field(
        default=None, description="The discovery feed that maintains it."
    )
    external_id: str | None = strawberry.field(
        default=None, description="Its id in that feed; unique per source."
    )
    redundancy_required: int | None = strawberry.field(
        default=None,
        description="k of n: how many of the CIs it depends on must be up for it to be up.",
    )


@strawberry.input(description="Changes to a configuration item; omitted fields stay as they are.")
class UpdateConfigurationItemInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New name.")
    status: enums.CiStatus | None = strawberry.field(
        default=strawberry.UNSET,
        description="New status (not RETIRED: use retireConfigurationItem).",
    )
    environment: enums.CiEnvironment | None = strawberry.field(
        default=strawberry.UNSET, description="New environment."
    )
    criticality: int | None = strawberry.field(
        default=strawberry.UNSET, description="New tier (1-4)."
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="New owner (a User id); null clears it."
    )
    support_team_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="New support team (a Team id); null clears it."
    )
    attributes: JSON | None = strawberry.field(
        default=strawberry.UNSET,
        description="Attribute changes: a value sets the attribute, null removes it, "
        "attributes left out stay.",
    )
    redundancy_required: int | None = strawberry.field(
        default=strawberry.UNSET, description="New k of n; null: all providers are needed."
    )


@strawberry.input(
    description="A condition on one attribute. Comparisons hold only for values of the same "
    "JSON type (numbers compare as numbers, dates and strings as text)."
)
class CiAttributeCondition:
    name: str = strawberry.field(description="The attribute's name.")
    eq: JSON | None = strawberry.field(default=None, description="Equal to.")
    in_: list[JSON] | None = strawberry.field(
        default=None, name="in", description="Equal to one of these."
    )
    gt: JSON | None = strawberry.field(default=None, description="Greater than.")
    gte: JSON | None = strawberry.field(default=None, description="Greater than or equal to.")
    lt: JSON | None = strawberry.field(default=None, description="Less than.")
    lte: JSON | None = strawberry.field(default=None, description="Less than or equal to.")
    exists: bool | None = strawberry.field(
        default=None, description="True: the CI has a value for it; false: it has none."
    )


@strawberry.input(description="Which configuration items to list; all conditions must hold.")
class CiFilter:
    class_name: list[str] | None = strawberry.field(
        default=None, description="Of any of these classes or their subclasses."
    )
    status: list[enums.CiStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    environment: list[enums.CiEnvironment] | None = strawberry.field(
        default=None, description="Any of these environments."
    )
    criticality: list[int] | None = strawberry.field(
        default=None, description="Any of these tiers (1-4)."
    )
    support_team_id: strawberry.ID | None = strawberry.field(
        default=None, description="Supported by this team."
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Owned by this user."
    )
    source: str | None = strawberry.field(
        default=None, description="Maintained by this discovery feed."
    )
    search: str | None = strawberry.field(
        default=None, description="Words to find in the name (full-text search)."
    )
    attributes: list[CiAttributeCondition] | None = strawberry.field(
        default=None, description="Conditions on attribute values."
    )


@strawberry.input(description="How to order CIs; ties are broken by id, so order is stable.")
class CiOrder:
    field: enums.CiSortField = strawberry.field(
        default=enums.CiSortField.NAME, description="What to sort by."
    )
    direction: enums.SortDirection = strawberry.field(
        default=enums.SortDirection.ASC, description="Direction."
    )


@strawberry.input(description="A CI class of the tenant's own.")
class CreateCiClassInput:
    name: str = strawberry.field(description="PascalCase, unique within the tenant.")
    parent_name: str | None = strawberry.field(
        default=None, description="Its superclass, whose attributes and rules it inherits."
    )
    label: str | None = strawberry.field(
        default=None, description="Human name (default: the name)."
    )
    description: str = strawberry.field(default="", description="What its CIs are.")


@strawberry.input(description="A typed attribute for a class (and its subclasses).")
class AddCiAttributeInput:
    name: str = strawberry.field(
        description="camelCase; unique among the class's inherited and subclasses' attributes."
    )
    type: enums.CiAttributeType = strawberry.field(description="The type of its values.")
    required: bool = strawberry.field(
        default=False, description="Whether every CI of the class must have it."
    )
    default: JSON | None = strawberry.field(
        default=None, description="The value a CI gets when it has none."
    )
    enum_values: list[str] | None = strawberry.field(
        default=None, description="The allowed values (ENUM only)."
    )
    reference_class_name: str | None = strawberry.field(
        default=None, description="The class the referenced CI must be (REFERENCE only)."
    )
