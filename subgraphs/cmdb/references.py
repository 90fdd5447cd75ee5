"""Other domains' entities as the CMDB sees them: their key, nothing more. The router asks
the owning subgraph (identity) for every other field."""

from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from resolvers.references import EntityStub
from subgraphs.cmdb import tables


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class User(EntityStub):
    id: strawberry.ID


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Team(EntityStub):
    id: strawberry.ID


# The columns where this domain stores other domains' ids, by the entity type they name: every
# one is checked on the way in (resolvers.references.require_references), and `opsgraph
# verify` checks the rows written before that check existed.
STORED_REFERENCES: dict[str, tuple[InstrumentedAttribute[uuid.UUID | None], ...]] = {
    "User": (tables.ConfigurationItem.owner_id,),
    "Team": (tables.ConfigurationItem.support_team_id,),
}
