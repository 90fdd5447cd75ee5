"""The problem domain's manifest: what the registry (opsgraph/domains.py) needs to run it."""

from pathlib import Path

from resolvers.domain import Domain, Numbering
from subgraphs.problems import permissions, seed, tables
from subgraphs.problems.cache_hints import CACHE_HINTS
from subgraphs.problems.events import EVENT_KINDS
from subgraphs.problems.incident_facts import CONSUMER
from subgraphs.problems.references import STORED_REFERENCES
from subgraphs.problems.schema import schema

DOMAIN = Domain(
    name="problems",
    schema=schema,
    metadata=tables.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    permissions=permissions.PERMISSIONS,
    grants=permissions.GRANTS,
    seed=seed.seed,
    cache_hints=CACHE_HINTS,
    event_kinds=EVENT_KINDS,
    references=STORED_REFERENCES,
    numbers=(Numbering("PRB", tables.Problem.number, tables.ProblemNumber.last_number),),
    audited={"Problem": tables.Problem.id, "ProblemComment": tables.ProblemComment.id},
    consumers=(CONSUMER,),
)
