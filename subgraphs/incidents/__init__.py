"""The incidents subgraph: incidents, their comments and history, numbering per tenant, the
status transition table and the ITIL priority matrix.

Owns `Incident` (`@key(fields: "id")`). References identity's `User` and `Team` by key only
(see references.py); it never imports the identity subgraph."""

from subgraphs.incidents.domain import DOMAIN
from subgraphs.incidents.schema import schema

__all__ = ["DOMAIN", "schema"]
