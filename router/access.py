"""What the gateway needs to know about the caller to prune an operation, and the errors for
what it pruned.

The router imports no application code: it recognises a request context that has a
``principal`` with ``authenticated`` and ``permissions`` (the caller's scopes). A context
without one (the split router only forwards the caller's headers; the subgraphs judge the
token) is not pruned: the subgraphs still enforce every permission themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Protocol, runtime_checkable

from router.composition import AccessRequirement
from router.execution.errors import router_error
from router.planning import Removed


class Grants(Protocol):
    """The caller as far as ``@authenticated``/``@requiresScopes`` are concerned."""

    @property
    def authenticated(self) -> bool:
        """Whether the request carried a valid credential."""
        ...

    @property
    def permissions(self) -> Collection[str]:
        """The scopes granted to the caller."""
        ...


@runtime_checkable
class HasPrincipal(Protocol):
    """A request context that knows its caller."""

    @property
    def principal(self) -> Grants:
        """The caller of this request."""
        ...


def grants_of(context: object) -> Grants | None:
    """The caller's grants when the context knows them, else ``None`` (no pruning)."""
    return context.principal if isinstance(context, HasPrincipal) else None


def denial_errors(
    removed: Collection[Removed], access: Mapping[str, AccessRequirement], grants: Grants
) -> list[dict[str, Any]]:
    """One error per removed selection, coded like the subgraphs' own checks: a caller with
    no credential and no scopes is UNAUTHENTICATED, anyone else FORBIDDEN."""
    anonymous = not grants.authenticated and not grants.permissions
    errors = []
    for item in removed:
        requirement = access[item.denied]
        path = list(item.path) or None
        if requirement.authenticated and not grants.authenticated:
            errors.append(
                router_error(
                    f"Authentication required for {item.selected}", "UNAUTHENTICATED", path
                )
            )
            continue
        assert requirement.scopes is not None  # it allowed authentication, so scopes failed
        errors.append(
            router_error(
                f"Missing permission {requirement.describe()} for {item.selected}",
                "UNAUTHENTICATED" if anonymous else "FORBIDDEN",
                path,
                requiredScopes=[list(alternative) for alternative in requirement.scopes],
            )
        )
    return errors
