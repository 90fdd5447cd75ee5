"""A loader for fields whose statement depends on their arguments (a filtered, paginated list
under each of many parents: `Problem.incidents(filter, pagination)`).

The caller builds the statement (taking the batch's `keys` and `tenant` parameters, as the
statements of resolvers/loaders.py do) and passes it with a signature — equal for equal
statements — and the parent's key. The parents asked with one signature are read together,
so the same field of many parents costs one statement per distinct argument set, not one
per parent."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Sequence
from typing import Any

from sqlalchemy import Select

from resolvers.loaders import KEYS, TENANT, BatchLoader


class StatementPerKeyLoader(BatchLoader[tuple[uuid.UUID, str], Any]):
    """Reads with a statement given per call (`load_with`), for keys (parent id, the
    statement's signature). Subclasses say how a statement's rows split into the value of
    each parent (`per_key`)."""

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self._statements: dict[str, Select[Any]] = {}

    def load_with(self, key: uuid.UUID, signature: str, statement: Select[Any]) -> Awaitable[Any]:
        self._statements.setdefault(signature, statement)
        return self.load((key, signature))  # type: ignore[no-any-return]

    async def batch_load_fn(self, keys: list[tuple[uuid.UUID, str]]) -> list[Any]:
        by_statement: dict[str, list[uuid.UUID]] = {}
        for key, signature in keys:
            by_statement.setdefault(signature, []).append(key)
        found: dict[tuple[uuid.UUID, str], Any] = {}
        for signature, parents in by_statement.items():
            parameters = {TENANT: self.context.tenant_id, KEYS: parents}
            rows = await self.context.db.rows(self._statements[signature], parameters)
            for parent, value in zip(parents, self.per_key(rows, parents), strict=True):
                found[parent, signature] = value
        return [found[key] for key in keys]

    def per_key(self, rows: Sequence[Any], keys: Sequence[uuid.UUID]) -> list[Any]:
        """The value of each parent, in order, from the statement's rows."""
        raise NotImplementedError
