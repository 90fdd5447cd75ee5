"""Validating bearer tokens. One path for every issuer: signature with a key from the key
source, then `iss`, `aud`, `exp`, `nbf`, `iat` with a small clock-skew allowance, and, when
the policy sets a maximum lifetime, `exp - iat` at most that (a token without `iat` is
refused then: its age is unknown, and a stolen long-lived token must not work for ever).

Refused outright: algorithms outside the configured asymmetric list (so no `none`, no HS*
key-confusion with a public key), and headers that bring their own keys (`jwk`, `jku`,
`x5u`, `x5c`) — keys only ever come from the configured issuer.

A validated token is remembered for a short while (token_cache.py): a client's next requests
with it cost a hash, not a signature verification."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from opsgraph.auth.errors import AuthError
from opsgraph.auth.keys import KeySource
from opsgraph.auth.token_cache import BOUND_SECONDS, TokenCache, token_digest

ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"})
KEY_CARRYING_HEADERS = ("jwk", "jku", "x5u", "x5c")
MAX_TOKEN_BYTES = 8192


@dataclass(frozen=True)
class TokenPolicy:
    issuer: str
    audience: str
    algorithms: tuple[str, ...] = ("RS256",)
    leeway_seconds: int = 30
    max_lifetime_seconds: int | None = None

    def __post_init__(self) -> None:
        unsafe = set(self.algorithms) - ASYMMETRIC
        if unsafe or not self.algorithms:
            raise ValueError(f"only asymmetric JWT algorithms are allowed, not {sorted(unsafe)}")


class TokenValidator:
    def __init__(
        self,
        policy: TokenPolicy,
        keys: KeySource,
        *,
        cache_seconds: float = BOUND_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = policy
        self.keys = keys
        self.cache = TokenCache(cache_seconds, clock=clock)
        self.verifications = 0  # signatures verified (what the cache saves)

    async def validate(self, token: str) -> dict[str, Any]:
        """The token's claims (a copy of its own), or AuthError saying what is wrong with it."""
        digest = token_digest(token)
        cached = self.cache.get(digest)
        if cached is not None and await self.keys.key_set(cached.kid) is cached.keys:
            return dict(cached.claims)
        claims, kid, keys = await self._validate(token)
        self.cache.put(digest, claims, kid, keys)
        return dict(claims)

    async def _validate(self, token: str) -> tuple[dict[str, Any], str | None, KeySet]:
        """The claims, the key id the header names, and the key set that verified them."""
        header = self._header(token)
        algorithm = header.get("alg")
        if algorithm not in self.policy.algorithms:
            raise AuthError(f"Token algorithm {algorithm!r} is not accepted")
        if any(name in header for name in KEY_CARRYING_HEADERS):
            raise AuthError("Token headers must not carry keys")
        kid = header.get("kid")
        kid = kid if isinstance(kid, str) else None
        keys = await self.keys.key_set(kid)
        self.verifications += 1
        try:
            decoded = jwt.decode(token, keys, algorithms=list(self.policy.algorithms))
        except JoseError as error:
            raise AuthError(_describe(error)) from None
        claims = decoded.claims
        registry = JWTClaimsRegistry(
            leeway=self.policy.leeway_seconds,
            iss={"essential": True, "value": self.policy.issuer},
            aud={"essential": True, "value": self.policy.audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise AuthError(_describe(error)) from None
        if self.policy.max_lifetime_seconds is not None:
            _check_lifetime(claims, self.policy.max_lifetime_seconds)
        return claims, kid, keys

    @staticmethod
    def _header(token: str) -> dict[str, Any]:
        if len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
            raise AuthError("Malformed token")
        encoded = token.split(".", 1)[0]
        try:
            header = orjson.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        except (ValueError, binascii.Error, orjson.JSONDecodeError):
            raise AuthError("Malformed token") from None
        if not isinstance(header, dict):
            raise AuthError("Malformed token")
        return header


def _check_lifetime(claims: dict[str, Any], maximum: int) -> None:
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, int | float) or isinstance(issued, bool):
        raise AuthError("Token has no iat claim: its lifetime cannot be checked")
    assert isinstance(expires, int | float)  # `exp` is essential, its type checked above
    if expires - issued > maximum:
        raise AuthError(
            f"Token lifetime (exp - iat) of {int(expires - issued)} s exceeds the maximum "
            f"of {maximum} s"
        )


def _describe(error: JoseError) -> str:
    name = type(error).__name__
    return {
        "ExpiredTokenError": "Token has expired",
        "BadSignatureError": "Token signature is invalid",
        "InvalidKeyIdError": "Token was signed with an unknown key",
        "MissingKeyError": "Token was signed with an unknown key",
    }.get(name, f"Token is invalid ({error.error})")
