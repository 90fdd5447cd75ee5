"""Fields resolved for many objects at once.

A field whose resolver awaits a loader per object costs, under a GraphQL executor, a
coroutine chain and a task per object, for one SQL statement in the end. Declaring the
field ``batched`` gives it a second resolver, for a whole list of objects at once: the
compiled executor (resolvers/executor/) calls it once per list it completes, with
every object of the list that reaches the field, and completes the list synchronously.
The field's own resolver keeps serving single objects and the normal executor.

    async def comments_of(incidents, info, last=None) -> list[list[IncidentComment]]: ...

    @strawberry.field(metadata=batched(comments_of, by_id=True))
    async def comments(self, info, last=None) -> list[IncidentComment]: ...

The batch resolver takes the objects, then the field's own arguments by keyword (``info``
describes the field of the first object), and returns one value per object, in order.
A permission check (``requires``) is made for each object before the batch, which gets
only the objects it allows. Fields with other field extensions or with arguments other than
built-in scalars are never batched: their own resolver runs as declared.

**Read with the object.** A batch resolver declared ``by_id`` reads nothing of its objects
but their ``id`` (its loaders are keyed by the object's id). Where the compiled executor
knows an object's id before its row is read (a root field declared with ``read_by_id``, the
representations of an ``_entities`` fetch), it calls such a batch resolver at once, for
objects holding nothing but those ids: its reads go in the same statement as the objects'
own (db/scope.py), and each object with one of those ids takes its value from that answer
instead of a batch of its own. A permission check made per object waits for the object
(no reading ahead); one made once per field is made before reading ahead. A batch read
ahead that fails is dropped: the field then resolves as it would have, and meets the
failure itself.

**Read from rows.** A batch resolver that declares the attributes it reads of its objects
(``by_id``: their ``id``; ``reads``: those named) is called, for objects answered as rows
(``ReadRows``, resolvers/columns.py), with objects holding just those attributes, read from
the rows: the rows then complete without an object each (resolvers/executor/builders.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

BATCH = "opsgraph.batch"
BATCH_BY_ID = "opsgraph.batch_by_id"
BATCH_READS = "opsgraph.batch_reads"
READ_BY_ID = "opsgraph.read_by_id"

BatchResolver = Callable[..., Awaitable[Sequence[Any]]]


def batched(
    resolver: BatchResolver, *, by_id: bool = False, reads: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Field metadata declaring ``resolver`` the field's batch resolver; ``by_id``: it reads
    only its objects' ``id``; ``reads``: only these attributes of them (see the module's
    docstring)."""
    return {BATCH: resolver, BATCH_BY_ID: by_id, BATCH_READS: ("id",) if by_id else reads}


def read_by_id(argument: str = "id") -> dict[str, str]:
    """Metadata of a root field answering the object whose ``id`` is its ``argument`` (or
    null): its ``by_id`` batched fields are read with it."""
    return {READ_BY_ID: argument}
