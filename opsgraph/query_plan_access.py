"""Who may see query plans (`x-opsgraph-query-plan: 1`, router/pipeline/query_plan.py):
callers holding the built-in `admin` role; for everyone else the header is ignored.

`opsgraph serve` decides from the principal the request was authenticated as (a valid token,
an active user, role `admin`). The split router authenticates nobody itself — the subgraphs
judge every forwarded token — so for this one decision it validates the bearer token as they
do (same issuer, audience, algorithms and keys) and looks for `admin` in its `roles` claim.
It cannot see the user's state in the database: an unexpired token of a since-deactivated
admin still shows plans there (a plan shows how the schema is routed, never data). Without
the issuer's keys (no OIDC issuer configured and no development key in the data directory)
the split router shows plans to nobody.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from opsgraph.auth.errors import AuthError
from opsgraph.auth.issuer import key_path
from opsgraph.auth.keys import DiscoveredKeys, KeySource, StaticKeys
from opsgraph.auth.setup import dev_issuer, token_policy
from opsgraph.auth.tokens import TokenValidator
from opsgraph.settings import Settings
from router.pipeline.query_plan import PlanAccess

ADMIN_ROLE = "admin"


async def principal_is_admin(context: object) -> bool:
    """In-process: the request's authenticated principal holds the admin role."""
    principal = getattr(context, "principal", None)
    return bool(principal is not None and principal.authenticated and ADMIN_ROLE in principal.roles)


class AdminToken:
    """Split router: the request's bearer token is valid and its `roles` claim has admin."""

    def __init__(self, validator: TokenValidator) -> None:
        self.validator = validator

    async def __call__(self, context: object) -> bool:
        headers: Mapping[str, str] = getattr(context, "headers", {})
        scheme, _, token = (headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        try:
            claims = await self.validator.validate(token.strip())
        except AuthError:
            return False
        roles = claims.get("roles")
        return isinstance(roles, list) and ADMIN_ROLE in roles


def token_plan_access(settings: Settings) -> PlanAccess | None:
    """The split router's rule, over the configured issuer's keys; None without keys."""
    keys: KeySource
    if settings.oidc_issuer:
        # Lives as long as the process, like the router's other clients.
        keys = DiscoveredKeys(settings.oidc_issuer, httpx.AsyncClient())
    else:
        if not key_path(settings.data_dir).is_file():
            return None  # never create the development key here: the subgraphs hold it
        keys = StaticKeys(dev_issuer(settings).public_keys())
    return AdminToken(TokenValidator(token_policy(settings), keys))
