"""Whose permissions a delivery applies: the webhook owner's as they are when it is sent.

The owner is the user who last wrote the webhook (`owner_id`). Their roles may change and they
may be deactivated after that, so each delivery asks the user directory what they may do now
(`Job.users`: the runner hands it over, answered by the domain that owns users in the job's
own transaction; this domain never reads another's tables nor imports it). Asking at delivery
rather than keeping a read model of users fed by identity's events means no lag: a role taken
away applies to the very next attempt, with one indexed read per attempt beside an HTTP POST.

A webhook written by a principal that is no user (an API client's token, no user id) keeps
the permissions it had then (`owner_permissions`): no directory knows such a principal.

An owner deactivated, or no longer a user of the tenant, stops the webhook: it is disabled
with the reason, and whoever re-activates it (`updateWebhook`) becomes its owner."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.jobs import Job


class OwnerGone(Exception):
    """The webhook's owner may no longer act (the message says why)."""


async def current_permissions(session: AsyncSession, job: Job, hook: Any) -> frozenset[str]:
    """The owner's permissions now; OwnerGone when they are deactivated or gone."""
    if hook.owner_id is None:
        return frozenset(hook.owner_permissions)
    access = await job.users(session, job.tenant_id, hook.owner_id)
    if access is None:
        raise OwnerGone(f"its owner (user {hook.owner_id}) is no longer a user of the tenant")
    if not access.active:
        raise OwnerGone(f"its owner (user {hook.owner_id}) is deactivated")
    return access.permissions
