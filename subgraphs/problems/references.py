"""Other domains' entities as the problems subgraph sees them: their key, nothing more. The
router asks the owning subgraph (identity, cmdb) for every other field. The incidents
domain's `Incident` is more than a stub here: this subgraph adds `problem` to it
(incidents.py)."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from resolvers.references import EntityStub
from subgraphs.problems import tables


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class User(EntityStub):
    id: strawberry.ID


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Team(EntityStub):
    id: strawberry.ID


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class ConfigurationItem(EntityStub):
    id: strawberry.ID


# The columns where this domain stores other domains' ids, by the entity type they name: every
# one is checked on the way in (resolvers.references.require_references), and `opsgraph
# verify` checks the rows written before that check existed. The read model's incident ids
# (incident_facts) come from the incidents domain's own events, not from a client.
STORED_REFERENCES: dict[str, tuple[InstrumentedAttribute[Any], ...]] = {
    "User": (
        tables.Problem.assignee_id,
        tables.ProblemComment.author_id,
    ),
    "Team": (tables.Problem.team_id,),
    "ConfigurationItem": (
        tables.Problem.ci_id,
        tables.Problem.root_cause_ci_id,
        tables.ProblemAffectedCi.ci_id,
    ),
    "Incident": (tables.ProblemIncident.incident_id,),
}
