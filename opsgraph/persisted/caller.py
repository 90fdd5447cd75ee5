"""The router's view of a request's principal (see router/caller.py)."""

from __future__ import annotations

import hashlib

from resolvers.context import Context
from router.caller import Caller


def audience_of(permissions: frozenset[str]) -> str:
    """A stable hash of an effective permission set (roles resolved, custom ones included)."""
    return hashlib.sha256("\n".join(sorted(permissions)).encode()).hexdigest()[:32]


def caller_of(context: object) -> Caller:
    """Cache entries are keyed by the effective permission set (pruned and masked fields
    differ by permission), private ones also by the token's subject; anonymous callers have
    no subject."""
    assert isinstance(context, Context)
    principal = context.principal
    return Caller(
        tenant=str(principal.tenant_id),
        audience=audience_of(principal.permissions),
        principal=principal.subject if principal.authenticated else None,
        client_id=principal.client_id,
        safelist_only=principal.safelist_only,
    )
