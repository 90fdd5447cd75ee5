"""The problems subgraph: problems (root cause, known errors, workarounds), their comments
and history, numbering per tenant (PRB-17), the status transition table, the links to
incidents and the problem candidates spotted among recent incidents.

Owns `Problem` (`@key(fields: "id")`) and the incident links: it adds `problem` to the
incidents domain's `Incident` (incidents.py). References identity's `User` and `Team` and
the CMDB's `ConfigurationItem` by key only (references.py). It never imports another
subgraph: what it knows of incidents comes from their events (incident_facts.py), and what
incidents do about a problem they learn from its events (events.py)."""

from subgraphs.problems.domain import DOMAIN
from subgraphs.problems.schema import schema

__all__ = ["DOMAIN", "schema"]
