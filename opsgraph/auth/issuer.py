"""OpsGraph as its own development OIDC issuer (used when OPSGRAPH_OIDC_ISSUER is unset).

Its RSA key pair lives in `<data dir>/issuer/signing-key.json` (created on first use, kept
across restarts); its JWKS and discovery document are served by OpsGraph, and
`opsgraph token` mints tokens with it. Validation goes through the same TokenValidator as
for any external issuer."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey


def key_path(data_dir: Path) -> Path:
    """Where the development issuer keeps its key pair under the data directory."""
    return data_dir / "issuer" / "signing-key.json"


class DevIssuer:
    def __init__(self, data_dir: Path, issuer: str, audience: str) -> None:
        self.path = key_path(data_dir)
        self.issuer = issuer
        self.audience = audience
        self.key = self._load_or_create()

    def _load_or_create(self) -> RSAKey:
        if self.path.is_file():
            return RSAKey.import_key(orjson.loads(self.path.read_bytes()))
        key = RSAKey.generate_key(
            2048,
            parameters={"kid": uuid.uuid4().hex[:16], "use": "sig", "alg": "RS256"},
            private=True,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a name of its own with owner-only permissions (this key can
        # mint any principal), then linked into place: processes starting at once on one
        # data directory all end up with the first one's key, never with a half-written file.
        draft = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(orjson.dumps(key.as_dict(private=True)))
        try:
            os.link(draft, self.path)
        except FileExistsError:
            return RSAKey.import_key(orjson.loads(self.path.read_bytes()))
        finally:
            draft.unlink()
        return key

    def public_keys(self) -> KeySet:
        return KeySet.import_key_set({"keys": [self.key.as_dict(private=False)]})

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
        }

    def mint(self, claims: dict[str, Any], ttl_seconds: int) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
            **claims,
        }
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, payload, self.key)
