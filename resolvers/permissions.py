"""Permissions declared where a field or mutation is defined, enforced in the subgraph.

`permission_classes=requires("incident:view")` on a field; `check(principal, ...)` in code
paths that are not fields (`resolve_reference`, which `_entities` calls). A caller with no
token and no permissions gets UNAUTHENTICATED; anyone else lacking the permission gets
FORBIDDEN, and nothing runs."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import strawberry
from strawberry.permission import BasePermission

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

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        check(info.context.principal, self.permission)
        return True


def requires(permission: str) -> list[type[BasePermission]]:
    """Permission classes for a field that needs `permission` (`<domain>:<action>`)."""
    name = "Requires" + "".join(p.capitalize() for p in re.split(r"[^a-zA-Z]+", permission))
    return [type(name, (RequiresPermission,), {"permission": permission})]
