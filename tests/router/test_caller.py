"""The caller as the router reads it from the principal a request context carries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from resolvers.principal import Principal
from router.caller import audience_of, caller_from, grants_of

TENANT = uuid.uuid4()


@dataclass(frozen=True)
class Context:
    principal: Principal


def test_a_context_without_principal_has_no_caller() -> None:
    assert (caller_from(object()), grants_of(object())) == (None, None)


def test_an_authenticated_principal_keys_private_entries_by_subject() -> None:
    principal = Principal(
        TENANT,
        subject="ada",
        client_id="portal",
        permissions=frozenset({"incident:read", "incident:create"}),
        authenticated=True,
        safelist_only=True,
    )
    caller = caller_from(Context(principal))
    assert caller is not None
    assert (caller.tenant, caller.principal, caller.client_id, caller.safelist_only) == (
        str(TENANT),
        "ada",
        "portal",
        True,
    )
    assert caller.audience == audience_of(["incident:create", "incident:read"])
    assert grants_of(Context(principal)) is principal


def test_an_anonymous_principal_has_no_subject_and_shares_its_audience() -> None:
    caller = caller_from(Context(Principal(TENANT, subject="dev")))
    assert caller is not None
    assert (caller.principal, caller.audience) == (None, audience_of(frozenset()))
