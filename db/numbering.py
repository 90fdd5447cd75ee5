"""Human numbers per tenant and prefix (INC-1042, PRB-17), without gaps.

A domain keeps one counter row per tenant (a table with `NumberCounter`'s columns, in its own
schema) and inserts each numbered row with the statement `numbered_insert` builds: it bumps
the tenant's counter and inserts the row with the number it got, in one round trip. The
counter row stays locked until the unit of work ends, so concurrent creates queue on it and a
rollback gives the number back: no gaps, no duplicates. Make the insert the unit of work's
last statement, so the lock lasts that statement and the commit only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CTE, ColumnElement, DateTime, Integer, bindparam, func, select
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.orm import Mapped, mapped_column


class NumberCounter:
    """The columns of a domain's counter table: the last number handed out per tenant."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


def next_number(counter: Any) -> CTE:
    """CTE `allocated` (one row, `last_number`): the tenant's next number (the `tenant_id`
    parameter's), its counter row created at 1 or bumped, and locked."""
    return (
        insert(counter)
        .values(tenant_id=bindparam("tenant_id"), last_number=1)
        .on_conflict_do_update(
            index_elements=[counter.tenant_id],
            set_={"last_number": counter.last_number + 1, "updated_at": func.now()},
        )
        .returning(counter.last_number)
        .cte("allocated")
    )


def numbered_insert(
    table: Any, counter: Any, given: Sequence[str], now_unless_given: Sequence[str] = ()
) -> CTE:
    """CTE `created` (the inserted row, every column): a row of `table` whose `number` is the
    tenant's next one in `counter`. Its parameters are the columns `given` (with `tenant_id`
    among them) and `now_unless_given` (null: the database's now()).

    Domains add their history entry and outbox event to the same statement as further CTEs
    reading `created`, so the event carries the number the statement allocated."""
    allocated = next_number(counter)
    columns = table.__table__.c
    values: list[ColumnElement[Any]] = [bindparam(name, type_=columns[name].type) for name in given]
    values += [
        func.coalesce(bindparam(name, type_=columns[name].type), func.now())
        for name in now_unless_given
    ]
    return (
        insert(table)
        .from_select(
            [*given, *now_unless_given, "number"], select(*values, allocated.c.last_number)
        )
        .returning(*columns)
        .cte("created")
    )
