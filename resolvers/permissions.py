"""Permissions declared where a field or mutation is defined, enforced in the subgraph.

`extensions=requires("incident:view")` on a field is the one declaration: it checks the
permission before the resolver runs and prints `@requiresScopes(scopes: [["incident:view"]])`
on the field in the subgraph SDL, so composition carries it into the supergraph and the router
can drop the field before planning. `check(principal, ...)` covers code paths that are not
fields (`resolve_reference`, which `_entities` calls). A caller with no token and no
permissions gets UNAUTHENTICATED; anyone else lacking the permission gets FORBIDDEN, and
nothing runs."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.federation.schema_directives import RequiresScopes
from strawberry.permission import BasePermission, PermissionExtension

from resolvers.errors import Forbidden, Unauthenticated
from resolvers.principal import Principal


def check(principal: Principal, permission: str) -> None:
    if principal.can(permission):
        return
    if not principal.authenticated and not principal.permissions:
        raise Unauthenticated("Authentication required: send a bearer token")
    raise Forbidden(f"Missing permission {permission}", permission=permission)


class RequiresPermission(BasePermission):
    permission: ClassVar[str]
    depends_on_source: ClassVar[bool] = False
    """The caller's permissions decide, not the object: a batch of objects is checked once
    (resolvers/executor/direct_calls.DirectCall.checks_each_source)."""

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        check(info.context.principal, self.permission)
        return True


def requires(permission: str) -> list[FieldExtension]:
    """Field extensions for a field that needs `permission` (`<domain>:<action>`): the check,
    and its `@requiresScopes` directive in the SDL (a permission is a scope to the router)."""
    name = "Requires" + "".join(p.capitalize() for p in re.split(r"[^a-zA-Z]+", permission))
    directive = RequiresScopes(scopes=[[permission]])  # type: ignore[call-arg]
    guard = type(
        name, (RequiresPermission,), {"permission": permission, "_schema_directive": directive}
    )
    return [PermissionExtension([guard()], use_directives=True)]
