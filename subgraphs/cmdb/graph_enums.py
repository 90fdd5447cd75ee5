"""The vocabularies of relationships and impact analysis: Python enums that are also the
GraphQL enums (as in enums.py); impact.py and relationships.py use them as plain enums."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Which of a CI's relationships to list.")
class RelationshipDirection(Enum):
    PARENTS = strawberry.enum_value(
        "PARENTS", description="Those where the CI is the child (its parents)."
    )
    CHILDREN = strawberry.enum_value(
        "CHILDREN", description="Those where the CI is the parent (its children)."
    )
    BOTH = strawberry.enum_value("BOTH", description="Both.")


@strawberry.enum(description="Which way impact analysis follows the dependencies.")
class ImpactDirection(Enum):
    DOWNSTREAM = strawberry.enum_value(
        "DOWNSTREAM",
        description="The CIs that depend on the given ones: who is hurt when they fail.",
    )
    UPSTREAM = strawberry.enum_value(
        "UPSTREAM",
        description="The CIs the given ones depend on: what could have caused their failure.",
    )
