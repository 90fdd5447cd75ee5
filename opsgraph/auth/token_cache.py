"""Tokens validated recently, so that a client's every request does not verify its token's
signature again.

An entry is keyed by the token's SHA-256 (the cache holds no token) and lasts until the token
expires or ``bound_seconds`` pass, whichever comes first: what validation checks (the key
that signed it, the policy) is checked again at least that often, so a key rotated out or a
revocation at the issuer takes effect within the bound. The validator also checks that its
key source still hands out the key set that verified the token: once the process has a new
key set (a rotation brings new key ids, which refresh the issuer's keys), tokens signed by a
key no longer in it are refused at once. What the claims lead to — the tenant, whether the
user is still active, the roles — is decided per request, after validation, as without the
cache."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import KeySet

BOUND_SECONDS = 60.0
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class Validated:
    claims: dict[str, Any]
    kid: str | None  # the key id its header names, to ask the key source again
    keys: KeySet  # the key set that verified it
    until: float  # epoch seconds


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class TokenCache:
    def __init__(self, bound_seconds: float = BOUND_SECONDS, *, clock: Callable[[], float]) -> None:
        self.bound_seconds = bound_seconds
        self.clock = clock
        self._entries: dict[bytes, Validated] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: bytes) -> Validated | None:
        entry = self._entries.get(digest)
        if entry is not None and self.clock() >= entry.until:
            del self._entries[digest]
            return None
        return entry

    def put(self, digest: bytes, claims: dict[str, Any], kid: str | None, keys: KeySet) -> None:
        """Keep a validated token's claims until it expires (``exp``) or the bound passes."""
        if self.bound_seconds <= 0:
            return
        now = self.clock()
        until = min(float(claims["exp"]), now + self.bound_seconds)
        if until <= now:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries = {d: e for d, e in self._entries.items() if e.until > now}
            if len(self._entries) >= MAX_ENTRIES:  # all current: forget the oldest
                del self._entries[next(iter(self._entries))]
        self._entries[digest] = Validated(claims, kid, keys, until)
