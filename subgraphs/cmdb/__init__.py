"""The CMDB subgraph: CI classes (single inheritance, typed attributes validated by a JSON
Schema generated from the class), configuration items with their history, typed
relationships and impact analysis.

Owns `ConfigurationItem` (`@key(fields: "id")`). References identity's `User` and `Team` by
key only (see references.py); it never imports another subgraph."""

from subgraphs.cmdb.domain import DOMAIN
from subgraphs.cmdb.schema import schema

__all__ = ["DOMAIN", "schema"]
