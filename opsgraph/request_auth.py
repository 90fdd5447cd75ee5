"""Authentication of an HTTP GraphQL request: which requests need a principal, and the
principal their headers carry (a validated bearer token, or the development anonymous
principal) — or why they get none."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Protocol

from starlette.datastructures import Headers, QueryParams
from starlette.types import Scope

from db.failures import is_connection_failure
from opsgraph.auth.principals import Refused
from resolvers.errors import DATABASE_UNAVAILABLE
from resolvers.principal import Principal
from router.execution.errors import RETRY_AFTER_SECONDS
from router.http_params import is_graphql_get

log = logging.getLogger(__name__)


class PrincipalSource(Protocol):
    """The Authenticator, or a wrapper of it (the stand-alone subgraph's)."""

    async def principal(self, headers: Mapping[str, str]) -> Principal: ...


class NotAuthenticated(Exception):
    """The request gets no principal: ``refused`` says how to answer, ``retry_after`` when."""

    def __init__(self, refused: Refused, retry_after: float | None = None) -> None:
        super().__init__(refused.message)
        self.refused = refused
        self.retry_after = retry_after


def needs_principal(scope: Scope, paths: Collection[str] = ()) -> bool:
    """GraphQL requests need one, and requests to `paths` (domain endpoints that authenticate
    as GraphQL does); GraphiQL's page, assets and the well-known files do not."""
    if scope["type"] == "http" and scope["path"] in paths:
        return True
    if scope["type"] != "http" or not scope["path"].rstrip("/").endswith("/graphql"):
        return False
    if scope["method"] == "POST":
        return True
    return scope["method"] == "GET" and is_graphql_get(QueryParams(scope.get("query_string", b"")))


async def authenticate(source: PrincipalSource, scope: Scope) -> Principal:
    """The request's principal; NotAuthenticated when its credentials are refused, or with
    503 when the tenant directory or the custom roles could not be read (retry later)."""
    try:
        return await source.principal(Headers(scope=scope))
    except Refused as refused:
        raise NotAuthenticated(refused) from None
    except Exception as error:
        if not is_connection_failure(error):
            raise
        log.warning("database unavailable while authenticating: %s", error)
        unavailable = Refused(503, "SERVICE_UNAVAILABLE", DATABASE_UNAVAILABLE)
        raise NotAuthenticated(unavailable, RETRY_AFTER_SECONDS) from None
