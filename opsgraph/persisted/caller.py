"""The router's view of a request's principal (see router/caller.py)."""

from __future__ import annotations

from resolvers.context import Context
from router.caller import Caller


def caller_of(context: object) -> Caller:
    """Shared cache entries are keyed by the permission set (masked fields differ by
    permission), private ones by the token's subject; anonymous callers have no subject."""
    assert isinstance(context, Context)
    principal = context.principal
    return Caller(
        tenant=str(principal.tenant_id),
        audience=",".join(sorted(principal.permissions)),
        principal=principal.subject if principal.authenticated else None,
        client_id=principal.client_id,
        safelist_only=principal.safelist_only,
    )
