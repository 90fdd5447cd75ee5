"""The CMDB's vocabularies: Python enums that are also the GraphQL enums.

Decorated where they are defined, so that every module sees one GraphQL definition whatever
the import order; the service uses them as plain enums."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TypeVar

import strawberry

E = TypeVar("E", bound=Enum)


def stored(enum: type[E]) -> Callable[[str], E]:
    """The member for a value read from the database, by dict lookup (cheaper than calling
    the enum for every row of a page)."""
    return {member.value: member for member in enum}.__getitem__


@strawberry.enum(
    description="Where a configuration item is in its life. RETIRED is final: a retired CI "
    "keeps its history and relationships but can no longer be changed."
)
class CiStatus(Enum):
    PLANNED = "PLANNED"
    IN_SERVICE = "IN_SERVICE"
    MAINTENANCE = "MAINTENANCE"
    RETIRED = "RETIRED"


@strawberry.enum(description="The environment a configuration item belongs to.")
class CiEnvironment(Enum):
    PRODUCTION = "PRODUCTION"
    STAGING = "STAGING"
    TEST = "TEST"
    DEVELOPMENT = "DEVELOPMENT"


@strawberry.enum(description="The type of a class attribute's values.")
class CiAttributeType(Enum):
    STRING = "STRING"
    INTEGER = "INTEGER"
    BOOLEAN = "BOOLEAN"
    DATE = "DATE"
    ENUM = "ENUM"
    IP_ADDRESS = "IP_ADDRESS"
    URL = "URL"
    REFERENCE = "REFERENCE"


@strawberry.enum(description="What kind of change happened to a configuration item.")
class CiChangeKind(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    RETIRED = "RETIRED"


@strawberry.enum(description="What to sort configuration items by.")
class CiSortField(Enum):
    NAME = "NAME"
    CRITICALITY = "CRITICALITY"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"


@strawberry.enum(description="Ascending or descending.")
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.enum(
    description="Which end of a relationship depends on the other: the one that suffers when "
    "the other fails."
)
class DependentSide(Enum):
    PARENT = "PARENT"
    CHILD = "CHILD"


@strawberry.enum(description="Which relationships of a CI to list, seen from the CI.")
class RelationshipDirection(Enum):
    PARENTS = "PARENTS"
    CHILDREN = "CHILDREN"
    BOTH = "BOTH"


@strawberry.enum(
    description="DOWNSTREAM: the CIs that (transitively) depend on this one — who is hurt if "
    "it fails. UPSTREAM: what it (transitively) depends on — what could have caused its failure."
)
class ImpactDirection(Enum):
    DOWNSTREAM = "DOWNSTREAM"
    UPSTREAM = "UPSTREAM"


@strawberry.enum(description="What a CMDB event is about.")
class CiEventKind(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    RETIRED = "RETIRED"
    RELATIONSHIP_ADDED = "RELATIONSHIP_ADDED"
    RELATIONSHIP_REMOVED = "RELATIONSHIP_REMOVED"
