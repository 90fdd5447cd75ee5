"""Human numbers per tenant and prefix (INC-1042, PRB-17), without gaps, handed out at commit.

A domain keeps one counter row per tenant (a table with `NumberCounter`'s columns, in its own
schema) and inserts its numbered rows without a number. A deferred trigger its migration
creates (`create_number_at_commit`) numbers each such row as its transaction commits: it
bumps the tenant's counter, sets the row's number and writes it into the row's events still
waiting in the outbox (a row deleted before the commit takes no number, and its events go).
A rollback never gets that far, so numbers have no gaps, and the counter row's lock
serialises concurrent creates of a tenant for the commit alone.

Issue 17: when the insert took the number, the lock lasted from that statement to the
COMMIT — through the application's way back to the database, which on a busy event loop is
tens of milliseconds: creates of one tenant queued on it (write c=16, five backends waiting
on the row lock on average). Now no application round trip happens while it is held.

The number is known once the transaction has committed: read the row back then (a mutation
answering with it does)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from alembic import op
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


def unnumbered_insert(
    table: Any, given: Sequence[str], now_unless_given: Sequence[str] = ()
) -> CTE:
    """CTE `created` (the inserted row, every column, `number` still null): a row of `table`
    its trigger numbers at commit. Its parameters are the columns `given` (with `tenant_id`
    among them) and `now_unless_given` (null: the database's now()).

    Domains add their history entry and outbox event to the same statement as further CTEs
    reading `created`; the trigger writes the number into the event."""
    columns = table.__table__.c
    values: list[ColumnElement[Any]] = [bindparam(name, type_=columns[name].type) for name in given]
    values += [
        func.coalesce(bindparam(name, type_=columns[name].type), func.now())
        for name in now_unless_given
    ]
    return (
        insert(table)
        .from_select([*given, *now_unless_given], select(*values))
        .returning(*columns)
        .cte("created")
    )


TRIGGER = "number_at_commit"


def _function(table: str) -> str:
    schema, name = table.split(".")
    return f"{schema}.{name}_{TRIGGER}"


def create_number_at_commit(
    table: str, counter: str, event_number: str, *, unborn_events: bool = True
) -> None:
    """Migration step: number the rows of `table` (schema-qualified; `id`, `tenant_id`,
    `number` columns) inserted without a number as their transaction commits, from the
    tenant's row of `counter`; `number` becomes nullable (null only inside the inserting
    transaction). `event_number` is the SQL of the number as the row's events carry it (their
    payload's `number`, null until then), over the integer `allocated`; `unborn_events`: see
    `replace_number_at_commit`.

    The function is its owner's (SECURITY DEFINER): the application role may not update the
    outbox, and the trigger touches only the rows of the inserted row's own tenant."""
    op.execute(f"ALTER TABLE {table} ALTER COLUMN number DROP NOT NULL")
    replace_number_at_commit(table, counter, event_number, unborn_events=unborn_events)
    op.execute(
        f"""
        CREATE CONSTRAINT TRIGGER {TRIGGER} AFTER INSERT ON {table}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.number IS NULL)
        EXECUTE FUNCTION {_function(table)}()
        """
    )


def replace_number_at_commit(
    table: str, counter: str, event_number: str, *, unborn_events: bool = True
) -> None:
    """Migration step: (re)write `create_number_at_commit`'s function. A row deleted before
    its transaction commits takes no number; with `unborn_events`, its events still waiting
    in the outbox go with it (it never existed outside that transaction: nobody is told it
    was created), else they stay, their number null (as the first version did)."""
    unborn = (
        """DELETE FROM events.outbox
                WHERE entity_id = NEW.id AND seq IS NULL AND tenant_id = NEW.tenant_id;"""
        if unborn_events
        else ""
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION {_function(table)}() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            allocated integer;
            present integer;
        BEGIN
            SELECT number INTO present FROM {table} WHERE id = NEW.id;
            IF NOT FOUND THEN
                {unborn}
                RETURN NULL;
            END IF;
            IF present IS NOT NULL THEN
                RETURN NULL;
            END IF;
            INSERT INTO {counter} AS counter (tenant_id, last_number)
            VALUES (NEW.tenant_id, 1)
            ON CONFLICT (tenant_id) DO UPDATE
                SET last_number = counter.last_number + 1, updated_at = now()
            RETURNING counter.last_number INTO allocated;
            UPDATE {table} SET number = allocated WHERE id = NEW.id;
            UPDATE events.outbox
            SET payload = jsonb_set(payload, '{{number}}', to_jsonb({event_number}))
            WHERE entity_id = NEW.id AND seq IS NULL AND tenant_id = NEW.tenant_id
              AND payload -> 'number' = 'null'::jsonb;
            RETURN NULL;
        END $$
        """
    )


def drop_number_at_commit(table: str) -> None:
    """Migration step: undo `create_number_at_commit`."""
    op.execute(f"DROP TRIGGER {TRIGGER} ON {table}")
    op.execute(f"DROP FUNCTION {_function(table)}()")
    op.execute(f"ALTER TABLE {table} ALTER COLUMN number SET NOT NULL")
