"""The identity subgraph: users, teams (assignment groups) and who belongs to which team, the
tenant's own roles, API clients and their persisted operations, and the audit log.

Owns the `User` and `Team` entities (`@key(fields: "id")`); other subgraphs hold only their
ids and let the router fetch the rest through `_entities`. References no foreign entity, so it
has no references.py. Every change of a user, team, role or API client writes an outbox event
(events.py) for other domains to follow."""

from subgraphs.identity.domain import DOMAIN
from subgraphs.identity.schema import schema

__all__ = ["DOMAIN", "schema"]
