"""What the durable job queue holds, per kind: queued (due now), scheduled (waiting for
their time: retries among them), running, failed (given up), as `opsgraph jobs status`
prints it and the metrics export it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db import jobs as queue

COUNTS = text(
    f"""
    SELECT queue_name,
           count(*) FILTER (WHERE status = 'todo'
                            AND (scheduled_at IS NULL OR scheduled_at <= now())) AS queued,
           count(*) FILTER (WHERE status = 'todo' AND scheduled_at > now()) AS scheduled,
           count(*) FILTER (WHERE status = 'doing') AS running,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE status = 'succeeded') AS succeeded
      FROM {queue.SCHEMA}.procrastinate_jobs
     GROUP BY queue_name
    """
)


@dataclass(frozen=True)
class QueueStatus:
    kind: str
    queued: int
    scheduled: int
    running: int
    failed: int
    succeeded: int

    @property
    def depth(self) -> int:
        """Jobs still to run: due now, waiting for their time, or running."""
        return self.queued + self.scheduled + self.running


async def queue_statuses(owner: AsyncSession, kinds: list[str]) -> list[QueueStatus]:
    """Every kind's counts (as the owner: the queue crosses tenants), kinds without jobs
    included."""
    rows = {row.queue_name: row for row in await owner.execute(COUNTS)}
    statuses = []
    for kind in sorted(set(kinds) | set(rows)):
        row = rows.get(kind)
        counts = (
            (row.queued, row.scheduled, row.running, row.failed, row.succeeded)
            if row is not None
            else (0, 0, 0, 0, 0)
        )
        statuses.append(QueueStatus(kind, *(int(count) for count in counts)))
    return statuses


def status_table(statuses: list[QueueStatus]) -> str:
    if not statuses:
        return "(no job kinds)"
    header = ("KIND", "DEPTH", "QUEUED", "SCHEDULED", "RUNNING", "FAILED", "SUCCEEDED")
    rows = [header] + [
        (
            s.kind,
            str(s.depth),
            str(s.queued),
            str(s.scheduled),
            str(s.running),
            str(s.failed),
            str(s.succeeded),
        )
        for s in statuses
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
