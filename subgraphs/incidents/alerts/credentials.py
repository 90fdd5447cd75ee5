"""An integration's bearer secret: `ogi_<tenant><integration><random>` (the ids as 32 hex
digits each), so the receiver knows which tenant's wall to stand behind before it reads
anything, and which integration's hash to compare with. Only the SHA-256 of the whole secret
is stored; it is compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

PREFIX = "ogi_"
RANDOM_BYTES = 32


@dataclass(frozen=True)
class Credential:
    tenant_id: uuid.UUID
    integration_id: uuid.UUID
    secret: str

    def matches(self, stored_hash: str) -> bool:
        return hmac.compare_digest(digest(self.secret), stored_hash)


def new_secret(tenant_id: uuid.UUID, integration_id: uuid.UUID) -> str:
    return f"{PREFIX}{tenant_id.hex}{integration_id.hex}{secrets.token_urlsafe(RANDOM_BYTES)}"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def from_header(authorization: str | None) -> Credential | None:
    """The credential an `Authorization: Bearer …` header carries; None when there is none
    or it is not one of ours."""
    if not authorization:
        return None
    scheme, _, secret = authorization.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(PREFIX):
        return None
    ids = secret[len(PREFIX) : len(PREFIX) + 64]
    if len(secret) <= len(PREFIX) + 64 or len(secret) > 200:
        return None
    try:
        return Credential(uuid.UUID(hex=ids[:32]), uuid.UUID(hex=ids[32:]), secret)
    except ValueError:
        return None
