"""Other domains' entities as the incidents subgraph sees them: their key, nothing more.
The router asks the owning subgraph (identity) for every other field."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class User:
    id: strawberry.ID

    @classmethod
    def ref(cls, id: uuid.UUID | None) -> User | None:
        return cls(id=strawberry.ID(str(id))) if id else None


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Team:
    id: strawberry.ID

    @classmethod
    def ref(cls, id: uuid.UUID | None) -> Team | None:
        return cls(id=strawberry.ID(str(id))) if id else None
