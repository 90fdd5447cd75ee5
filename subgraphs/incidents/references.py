"""Other domains' entities as the incidents subgraph sees them: their key, nothing more.
The router asks the owning subgraph (identity, cmdb) for every other field. The CMDB's
`ConfigurationItem` is more than a stub here: this subgraph adds the incident fields to it
(configuration_items.py)."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from subgraphs.incidents import tables


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class User:
    id: strawberry.ID

    @classmethod
    def ref(cls, id: uuid.UUID | None) -> User | None:
        return cls(id=strawberry.ID(str(id))) if id else None


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Team:
    id: strawberry.ID

    @classmethod
    def ref(cls, id: uuid.UUID | None) -> Team | None:
        return cls(id=strawberry.ID(str(id))) if id else None


# The columns where this domain stores other domains' ids, by the entity type they name: every
# one is checked on the way in (resolvers.references.require_references), and `opsgraph
# verify` checks the rows written before that check existed.
STORED_REFERENCES: dict[str, tuple[InstrumentedAttribute[Any], ...]] = {
    "User": (
        tables.Incident.assignee_id,
        tables.Incident.reporter_id,
        tables.IncidentComment.author_id,
    ),
    "Team": (tables.Incident.team_id,),
    "ConfigurationItem": (tables.Incident.ci_id, tables.IncidentAffectedCi.ci_id),
}
