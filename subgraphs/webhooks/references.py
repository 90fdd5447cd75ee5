"""Other domains' entities as the webhooks subgraph sees them: their key, nothing more."""

from __future__ import annotations

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from resolvers.references import EntityStub


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class User(EntityStub):
    id: strawberry.ID
