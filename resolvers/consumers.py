"""How a domain reacts to another domain's events: an `EventConsumer` it declares in its
manifest (`Domain.consumers`). The process that serves the domain runs it
(opsgraph/events/consumers.py): every committed outbox event of `domains` (and `kinds`) is
handed to `handle` once, in `seq` order, behind the event's tenant wall.

The guarantees, and what a handler must do for them to hold:
- `handle` runs inside an open transaction as the application role with the event's tenant
  set (row-level security: it sees and writes that tenant's rows only). It must not commit:
  the runner records the consumer's new position in the same transaction, so the effects and
  "this event is handled" commit together, and an event delivered again is skipped.
- A handler that raises has its effects rolled back; the event is retried (with back-off),
  never skipped, and the failure is logged and counted in the consumer's status.
- `reset`, when declared, empties the consumer's read model before a rebuild
  (`opsgraph events replay NAME`): it is called once per tenant, behind that tenant's wall,
  in one transaction with the position going back to the oldest retained event. A consumer
  with `reset` that is new to a database starts from the oldest retained event; one without
  starts after the latest event (a new reaction does not replay history)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.events import Event

EVERY_DOMAIN = frozenset({"*"})
"""`domains` of a consumer of every domain's events: the registry puts in the names of the
domains that declare event kinds."""
Handler = Callable[[AsyncSession, Event], Awaitable[None]]
ManyHandler = Callable[[AsyncSession, Sequence[Event]], Awaitable[None]]
Reset = Callable[[AsyncSession], Awaitable[None]]
NAME_LENGTH = 100


@dataclass(frozen=True)
class EventConsumer:
    name: str
    """Unique across domains, e.g. "incidents.problem-reactions" (its position's key)."""
    domains: frozenset[str]
    """The source domains whose events it reads (the outbox `domain`), e.g. {"problems"}."""
    handle: Handler
    """Called once per event of those domains, in `seq` order (see the module docstring)."""
    kinds: frozenset[str] | None = None
    """Only these event kinds (None: every kind of `domains`)."""
    reset: Reset | None = None
    """Clears a read model before a rebuild (see the module docstring)."""
    per_transaction: int = 1
    """How many consecutive events (of one tenant) one transaction may handle: more than
    one saves a commit and the position's round trips per event under load. Each event
    after a transaction's first runs in a savepoint, so a handler that raises still rolls
    back its own event only, the events before it committing (the guarantees above hold
    either way); a handler must then tolerate seeing the earlier events' uncommitted
    writes of the same transaction, as it would see them committed."""

    handle_many: ManyHandler | None = None
    """Handles a transaction's events (consecutive, of one tenant, in `seq` order, at most
    `per_transaction`) at once, with the effects `handle` would have on each in turn, in
    fewer statements. When it raises, the runner rolls back and hands those events to
    `handle` one by one, so the event that fails is found, recorded and retried alone."""

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > NAME_LENGTH:
            raise ValueError(f"a consumer's name has 1 to {NAME_LENGTH} characters: {self.name!r}")
        if not self.domains:
            raise ValueError(f"consumer {self.name} reads no domain's events")
        if self.per_transaction < 1:
            raise ValueError(f"consumer {self.name} handles at least one event a transaction")


def in_turn(handle: Handler) -> ManyHandler:
    """A `handle_many` handing each event to `handle` in turn, in the one transaction: for a
    consumer whose events take a statement or two each, a transaction of many events then
    saves the savepoint per event (two round trips) besides the commit and the position's
    round trips."""

    async def handle_many(session: AsyncSession, events: Sequence[Event]) -> None:
        for event in events:
            await handle(session, event)

    return handle_many
