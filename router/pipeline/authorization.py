"""Stage 6: the normalised operation with the access requirements of what it selects
(``@authenticated``/``@requiresScopes``/``@policy``, cached per operation), pruned of what the
caller's grants do not allow, with one error per pruned selection — coded like the subgraphs' own
checks, which still enforce every permission themselves."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode

from router.caller import Grants
from router.composition import AccessRequirement, Supergraph
from router.composition.access import describe
from router.execution.errors import router_error
from router.pipeline.errors import RequestError
from router.planning import (
    GuardedOperation,
    LruCache,
    NormalizedOperation,
    PlanningError,
    Removed,
    guard,
    prune,
    select_operation,
)
from router.planning.cache import OperationKey


class GuardCache(LruCache[OperationKey, GuardedOperation]):
    """Normalised operations of one supergraph with their requirements, by operation key."""

    def __init__(self, supergraph: Supergraph, capacity: int) -> None:
        super().__init__(capacity)
        self.supergraph = supergraph

    def guarded(
        self, key: OperationKey, document: DocumentNode, operation_name: str | None
    ) -> GuardedOperation:
        """The operation ``key`` names, normalised and guarded; RequestError when it cannot
        be normalised against the supergraph."""
        guarded = self.get(key)
        if guarded is None:
            try:
                selected = select_operation(self.supergraph, document, operation_name)
            except PlanningError as error:
                raise RequestError.single(error.code, error.message) from error
            guarded = guard(self.supergraph, selected)
            self.put(key, guarded)
        return guarded


@dataclass(frozen=True, slots=True)
class Authorized:
    """What the caller may run: the operation pruned of the ``denied`` coordinates, and the
    errors standing for what was pruned."""

    operation: NormalizedOperation
    denied: tuple[str, ...] = ()
    errors: tuple[dict[str, Any], ...] = ()


def authorize(
    supergraph: Supergraph, guarded: GuardedOperation, grants: Grants | None
) -> Authorized:
    """``guarded`` as ``grants`` may run it (``None``: a caller the router cannot judge, left
    whole to the subgraphs)."""
    full = guarded.operation
    if grants is None:
        return Authorized(full)
    denied = guarded.denied(grants.authenticated, grants.permissions)
    if not denied:
        return Authorized(full)
    pruned, removed = prune(supergraph, full, denied)
    return Authorized(pruned, denied, tuple(denial_errors(removed, supergraph.access, grants)))


def denial_errors(
    removed: Collection[Removed], access: Mapping[str, AccessRequirement], grants: Grants
) -> list[dict[str, Any]]:
    """One error per removed selection, coded like the subgraphs' own checks: a caller with
    no credential and no scopes is UNAUTHENTICATED, anyone else FORBIDDEN. A policy is held
    through the permission of the same name (see :mod:`router.composition.access`)."""
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
        code = "UNAUTHENTICATED" if anonymous else "FORBIDDEN"
        if not requirement.scopes_allow(grants.permissions):
            assert requirement.scopes is not None
            errors.append(
                router_error(
                    f"Missing permission {requirement.describe()} for {item.selected}",
                    code,
                    path,
                    requiredScopes=[list(alternative) for alternative in requirement.scopes],
                )
            )
            continue
        assert requirement.policies is not None  # scopes passed, so a policy is missing
        errors.append(
            router_error(
                f"Missing policy {describe(requirement.policies)} for {item.selected}",
                code,
                path,
                requiredPolicies=[list(alternative) for alternative in requirement.policies],
            )
        )
    return errors
