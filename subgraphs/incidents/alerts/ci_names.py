"""The incidents domain's read model of configuration items (`ci_names`): the name and external
id of each CI, for mapping an alert's label to the CI it is about (`Mapping.ci_label`). Kept by
the consumer `incidents.ci-names` from the CMDB's events, which name the CI as it is after each
change (`name`, `externalId`, `status`); never read from the CMDB's tables (DESIGN.md "Domains
that need each other"). A tenant without the CMDB has no CI events and an empty model: alerts
then map to no CI.

The handler runs behind the event's tenant wall and leaves the commit to the runner. Every
event upserts the CI's row whole (a deletion removes it), so applying an event twice leaves
the same row and the model is right whatever it missed before; a rebuild (`reset`, then every
retained event) starts from an empty model. A retired CI stays known but is not matched.

Matching (`find`): the label's value against CIs' external ids first, then their names (case
folded); `instance` values such as `db-01:9100` are also tried without their port. A value
that names several CIs equally maps to none: an alert is never filed against a guess."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.consumers import EventConsumer, in_turn
from resolvers.events import Event
from subgraphs.incidents.alerts.tables import CiName

CMDB = "cmdb"
UPSERTED = frozenset({"ci.created", "ci.updated", "ci.retired"})
DELETED = "ci.deleted"
RETIRED = "RETIRED"
PORT = re.compile(r"^(.+):\d{1,5}$")


async def handle(session: AsyncSession, event: Event) -> None:
    if event.kind == DELETED:
        await session.execute(
            delete(CiName).where(
                CiName.tenant_id == event.tenant_id, CiName.ci_id == event.entity_id
            )
        )
        return
    payload = event.payload
    row = {
        "tenant_id": event.tenant_id,
        "ci_id": event.entity_id,
        "name": str(payload["name"]),
        "external_id": payload.get("externalId"),
        "retired": payload.get("status") == RETIRED,
    }
    statement = insert(CiName).values(**row)
    await session.execute(
        statement.on_conflict_do_update(
            constraint="uq_ci_names_ci",
            set_={
                "name": statement.excluded.name,
                "external_id": statement.excluded.external_id,
                "retired": statement.excluded.retired,
                "updated_at": func.now(),
            },
        )
    )


async def reset(session: AsyncSession) -> None:
    """Empty the model (of the tenant whose wall the session is behind) before a rebuild."""
    await session.execute(delete(CiName))


def candidates(value: str) -> list[str]:
    """The label value, and without a trailing `:port` when it has one."""
    found = [value]
    port = PORT.match(value)
    if port:
        found.append(port.group(1))
    return found


async def find(
    session: AsyncSession, tenant_id: uuid.UUID, values: Iterable[str]
) -> dict[str, uuid.UUID]:
    """The CI each label value names (see the module docstring), in one read; values that name
    none, or several equally, are absent."""
    wanted = {value: candidates(value) for value in set(values) if value}
    if not wanted:
        return {}
    texts = {text for options in wanted.values() for text in options}
    rows = (
        await session.execute(
            select(CiName.ci_id, CiName.name, CiName.external_id).where(
                CiName.tenant_id == tenant_id,
                CiName.retired.is_(False),
                or_(
                    CiName.external_id.in_(texts),
                    func.lower(CiName.name).in_({text.lower() for text in texts}),
                ),
            )
        )
    ).all()
    found: dict[str, uuid.UUID] = {}
    for value, options in wanted.items():
        for text in options:
            by_external = {row.ci_id for row in rows if row.external_id == text}
            by_name = {row.ci_id for row in rows if row.name.lower() == text.lower()}
            matched = by_external or by_name
            if matched:
                if len(matched) == 1:
                    found[value] = next(iter(matched))
                break
    return found


CONSUMER = EventConsumer(
    name="incidents.ci-names",
    domains=frozenset({CMDB}),
    kinds=frozenset({*UPSERTED, DELETED}),
    handle=handle,
    reset=reset,
    # A discovery feed's thousand CIs in ten transactions, not a thousand.
    handle_many=in_turn(handle),
    per_transaction=100,
)
