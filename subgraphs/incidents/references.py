"""Other domains' entities as the incidents subgraph sees them: their key, nothing more.
The router asks the owning subgraph (identity, cmdb) for every other field. The CMDB's
`ConfigurationItem` is more than a stub here: this subgraph adds the incident fields to it
(configuration_items.py)."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from resolvers.references import EntityStub
from subgraphs.incidents import tables
from subgraphs.incidents.family.tables import IncidentWatcher


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class User(EntityStub):
    id: strawberry.ID


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Team(EntityStub):
    id: strawberry.ID


# The columns where this domain stores other domains' ids, by the entity type they name: every
# one is checked on the way in (resolvers.references.require_references), and `opsgraph
# verify` checks the rows written before that check existed.
STORED_REFERENCES: dict[str, tuple[InstrumentedAttribute[Any], ...]] = {
    "User": (
        tables.Incident.assignee_id,
        tables.Incident.reporter_id,
        tables.IncidentComment.author_id,
        IncidentWatcher.user_id,
    ),
    "Team": (tables.Incident.team_id,),
    "ConfigurationItem": (tables.Incident.ci_id, tables.IncidentAffectedCi.ci_id),
}
