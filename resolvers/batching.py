"""Fields resolved for many objects at once.

A field whose resolver awaits a loader per object costs, under a GraphQL executor, a
coroutine chain and a task per object, for one SQL statement in the end. Declaring the
field ``batched`` gives it a second resolver, for a whole list of objects at once: the
compiled executor (resolvers/executor/) calls it once per list it completes, with
every object of the list that reaches the field, and completes the list synchronously.
The field's own resolver keeps serving single objects and the normal executor.

    async def comments_of(incidents, info, last=None) -> list[list[IncidentComment]]: ...

    @strawberry.field(metadata=batched(comments_of))
    async def comments(self, info, last=None) -> list[IncidentComment]: ...

The batch resolver takes the objects, then the field's own arguments by keyword (``info``
describes the field of the first object), and returns one value per object, in order.
A permission check (``requires``) is made for each object before the batch, which gets
only the objects it allows. Fields with other field extensions or with arguments other than
built-in scalars are never batched: their own resolver runs as declared."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

BATCH = "opsgraph.batch"

BatchResolver = Callable[..., Awaitable[Sequence[Any]]]


def batched(resolver: BatchResolver) -> dict[str, BatchResolver]:
    """Field metadata declaring ``resolver`` the field's batch resolver."""
    return {BATCH: resolver}
