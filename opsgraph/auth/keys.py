"""Where verification keys come from: a fixed key set (the development issuer's), or an OIDC
issuer's JWKS found through discovery, cached, and refreshed when a token names a key id
we do not know — at most once per `refresh_interval`, so forged kids cannot hammer it."""

from __future__ import annotations

import time
from typing import Any, Protocol

import httpx
from joserfc.jwk import KeySet

from opsgraph.auth.errors import AuthError


class KeySource(Protocol):
    async def key_set(self, kid: str | None) -> KeySet: ...


class StaticKeys:
    def __init__(self, keys: KeySet) -> None:
        self.keys = keys

    async def key_set(self, kid: str | None) -> KeySet:
        return self.keys


class DiscoveredKeys:
    """The JWKS of an OIDC issuer (`<issuer>/.well-known/openid-configuration` → jwks_uri)."""

    def __init__(
        self, issuer: str, client: httpx.AsyncClient, *, refresh_interval: float = 30.0
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client = client
        self.refresh_interval = refresh_interval
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")

    async def key_set(self, kid: str | None) -> KeySet:
        known = self._keys is not None and (kid is None or _has_kid(self._keys, kid))
        if not known and time.monotonic() - self._fetched_at >= self.refresh_interval:
            await self._refresh()
        if self._keys is None:
            raise AuthError("The token issuer's keys are unavailable")
        return self._keys

    async def _refresh(self) -> None:
        self._fetched_at = time.monotonic()
        try:
            discovery = await self._json(f"{self.issuer}/.well-known/openid-configuration")
            jwks = await self._json(str(discovery["jwks_uri"]))
            self._keys = KeySet.import_key_set(jwks)
        except (httpx.HTTPError, KeyError, ValueError, TypeError):
            if self._keys is None:
                raise AuthError("The token issuer's keys are unavailable") from None

    async def _json(self, url: str) -> Any:
        response = await self.client.get(url, timeout=5.0)
        response.raise_for_status()
        return response.json()


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)
