"""The identity subgraph: users, teams (assignment groups) and who belongs to which team.

Owns the `User` and `Team` entities (`@key(fields: "id")`); other subgraphs hold only their
ids and let the router fetch the rest through `_entities`. References no foreign entity."""

from subgraphs.identity.domain import DOMAIN
from subgraphs.identity.schema import schema

__all__ = ["DOMAIN", "schema"]
