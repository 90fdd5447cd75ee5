"""The CMDB domain's manifest: what the registry (opsgraph/domains.py) needs to run it."""

from pathlib import Path

from resolvers.domain import Domain
from subgraphs.cmdb import permissions, seed, tables
from subgraphs.cmdb.cache_hints import CACHE_HINTS
from subgraphs.cmdb.events import CI_ENTITY, EVENT_KINDS, RELATIONSHIP_ENTITY
from subgraphs.cmdb.incident_references import CONSUMER
from subgraphs.cmdb.mutations.discovery import DISCOVERY_FEED
from subgraphs.cmdb.references import STORED_REFERENCES
from subgraphs.cmdb.schema import schema

DOMAIN = Domain(
    name="cmdb",
    schema=schema,
    metadata=tables.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    permissions=permissions.PERMISSIONS,
    grants=permissions.GRANTS,
    seed=seed.seed,
    cache_hints=CACHE_HINTS,
    event_kinds=EVENT_KINDS,
    references=STORED_REFERENCES,
    audited={
        "CiClass": tables.CiClass.id,
        "CiAttribute": tables.CiAttribute.id,
        CI_ENTITY: tables.ConfigurationItem.id,
        RELATIONSHIP_ENTITY: tables.CiRelationship.id,
        DISCOVERY_FEED: None,  # a feed's run is no row: its id is derived from its name
    },
    consumers=(CONSUMER,),
)
