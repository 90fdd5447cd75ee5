"""Building a subgraph's Federation 2 schema with the extensions every subgraph uses."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable, Sequence
from typing import Any

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.federation.schema import FederationAny
from strawberry.schema.config import StrawberryConfig

from resolvers.columns import ReadRows
from resolvers.errors import BadUserInput, ErrorCodes
from resolvers.executor import CompiledExecutor
from resolvers.scalars import SCALARS
from resolvers.text import RejectNulCharacters


class SubgraphSchema(strawberry.federation.Schema):
    """A Federation 2 schema that leaves error logging to ErrorCodes, with a compiled
    execution path for in-process queries.

    Strawberry logs every error at ERROR level, client mistakes included; ErrorCodes logs
    the unexpected ones (with traceback and request id) and nothing else."""

    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        return None

    async def entities_resolver(  # type: ignore[override]
        self, info: strawberry.Info, representations: list[FederationAny]
    ) -> Sequence[FederationAny]:
        """`_entities`, one call per entity type: a type with `resolve_references` gets all
        its representations at once (see resolvers/references.py); any other type is
        resolved one representation at a time, as Strawberry does. Answers are positional;
        a failure stands at the positions it concerns. Where every type answers with rows
        (``ReadRows``), so does the whole: the compiled executor completes them from the
        rows (resolvers/executor/builders.py)."""
        names = [representation.get("__typename") for representation in representations]  # type: ignore[attr-defined]
        if names and names.count(names[0]) == len(names):  # one type (a blast radius: 4,383)
            return await self._references(info, names[0], representations)
        positions: dict[str, list[int]] = {}
        for index, name in enumerate(names):
            positions.setdefault(name, []).append(index)
        # The types at once: their reads go to the database in one round trip
        # (db/merged_reads.py).
        found = await asyncio.gather(
            *(
                self._references(info, type_name, [representations[index] for index in indexes])
                for type_name, indexes in positions.items()
            )
        )
        read = [answers for answers in found if type(answers) is ReadRows]
        if len(read) == len(found):
            return _positioned(positions.values(), read, len(representations))
        results: list[Any] = [None] * len(representations)
        for indexes, answers in zip(positions.values(), found, strict=True):
            for index, answer in zip(indexes, answers, strict=True):
                results[index] = answer
        return results

    async def _references(
        self, info: strawberry.Info, type_name: str, representations: list[Any]
    ) -> Sequence[Any]:
        found = self.schema_converter.type_map.get(type_name)
        if found is None:
            unknown = BadUserInput(f"Unknown entity type {type_name!r}", argument="representations")
            return [unknown] * len(representations)
        batch = getattr(getattr(found.definition, "origin", None), "resolve_references", None)
        if batch is None:
            return super().entities_resolver(info, representations)
        try:
            answers = await batch(info, representations)
        except Exception as error:  # each position reports it
            return [error] * len(representations)
        return answers if type(answers) is ReadRows else list(answers)

    @functools.cached_property
    def compiled(self) -> CompiledExecutor:
        """The compiled path for queries run in-process; it does what this schema's
        extensions do (error codes and masking, NUL rejection, parse/validation caching)."""
        return CompiledExecutor(self._schema)


def _positioned(
    positions: Iterable[list[int]], found: Sequence[ReadRows[Any]], size: int
) -> ReadRows[Any]:
    """The rows of several types' answers, each at its representations' positions."""
    rows: list[Any] = [None] * size
    fields: list[Any] = [None] * size
    for indexes, answers in zip(positions, found, strict=True):
        for index, row, read in zip(indexes, answers.rows, answers.fields, strict=True):
            rows[index] = row
            fields[index] = read
    return ReadRows(rows, fields)


def subgraph_schema(
    *,
    query: type,
    mutation: type | None = None,
    subscription: type | None = None,
    types: Iterable[type] = (),
) -> SubgraphSchema:
    """A Federation 2 schema with error codes/masking, parse/validation caches and the shared
    scalars (resolvers/scalars.py)."""
    extensions: list[Any] = [
        ErrorCodes,
        RejectNulCharacters,
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ]
    return SubgraphSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(types),
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
    )
