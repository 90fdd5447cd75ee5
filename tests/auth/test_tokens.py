"""Token validation: the one path every issuer goes through, against forged and broken tokens."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

from opsgraph.auth.errors import AuthError
from opsgraph.auth.issuer import DevIssuer
from opsgraph.auth.keys import StaticKeys
from opsgraph.auth.tokens import TokenPolicy, TokenValidator

ISSUER, AUDIENCE = "http://127.0.0.1:4000", "opsgraph"


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> DevIssuer:
    return DevIssuer(Path(tmp_path_factory.mktemp("issuer")), ISSUER, AUDIENCE)


@pytest.fixture(scope="module")
def validator(issuer: DevIssuer) -> TokenValidator:
    return TokenValidator(TokenPolicy(ISSUER, AUDIENCE), StaticKeys(issuer.public_keys()))


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u1",
        "tenant_id": "t",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


def b64(data: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def signed(issuer: DevIssuer, payload: dict[str, Any], **header: Any) -> str:
    return jwt.encode({"alg": "RS256", "kid": issuer.key.kid, **header}, payload, issuer.key)


async def test_a_good_token_gives_its_claims(issuer: DevIssuer, validator: TokenValidator) -> None:
    token = issuer.mint({"sub": "u1", "tenant_id": "t", "roles": ["viewer"]}, 60)
    assert (await validator.validate(token))["roles"] == ["viewer"]


async def test_the_issuer_key_survives_a_restart(issuer: DevIssuer) -> None:
    again = DevIssuer(issuer.path.parent.parent, ISSUER, AUDIENCE)
    assert again.key.kid == issuer.key.kid
    assert oct(issuer.path.stat().st_mode & 0o777) == "0o600"


def other_rsa() -> RSAKey:
    return RSAKey.generate_key(2048, private=True)


BAD = {
    "expired": lambda i: signed(i, claims(exp=int(time.time()) - 120)),
    "not yet valid": lambda i: signed(i, claims(nbf=int(time.time()) + 600)),
    "wrong audience": lambda i: signed(i, claims(aud="someone-else")),
    "wrong issuer": lambda i: signed(i, claims(iss="https://evil.example")),
    "no subject": lambda i: signed(i, claims(sub=None)),
    "no expiry": lambda i: signed(i, claims(exp=None)),
    "alg none": lambda i: f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims())}.",
    "HS256 with the public key as secret": lambda i: jwt.encode(
        {"alg": "HS256", "kid": i.key.kid}, claims(),
        OctKey.import_key(orjson.dumps(i.jwks())), algorithms=["HS256"]),
    "unknown kid": lambda i: jwt.encode({"alg": "RS256", "kid": "nope"}, claims(), other_rsa()),
    "forged with our kid": lambda i: jwt.encode(
        {"alg": "RS256", "kid": i.key.kid}, claims(), other_rsa()),
    "embedded jwk": lambda i: signed(i, claims(), jwk=other_rsa().as_dict(private=False)),
    "jku header": lambda i: signed(i, claims(), jku="https://evil.example/jwks.json"),
    "x5u header": lambda i: signed(i, claims(), x5u="https://evil.example/cert.pem"),
    "ES256 when only RS256 is allowed": lambda i: jwt.encode(
        {"alg": "ES256"}, claims(), ECKey.generate_key("P-256", private=True)),
    "tampered claims": lambda i: ".".join(
        (lambda p: [p[0], b64(claims(sub="admin")), p[2]])(signed(i, claims()).split("."))),
    "two segments": lambda i: "abc.def",
    "garbage header": lambda i: "!!!.e30.sig",
    "oversized": lambda i: "a" * 9000 + ".b.c",
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
async def test_bad_tokens_are_refused(
    case: str, issuer: DevIssuer, validator: TokenValidator
) -> None:
    with pytest.raises(AuthError) as refused:
        await validator.validate(BAD[case](issuer))
    assert refused.value.message  # a reason the client can read


def test_only_asymmetric_algorithms_can_be_configured() -> None:
    with pytest.raises(ValueError, match="only asymmetric"):
        TokenPolicy(ISSUER, AUDIENCE, algorithms=("RS256", "HS256"))


async def test_es256_when_configured(tmp_path: Path) -> None:
    key = ECKey.generate_key("P-256", parameters={"kid": "ec1"}, private=True)
    validator = TokenValidator(
        TokenPolicy(ISSUER, AUDIENCE, algorithms=("ES256",)),
        StaticKeys(KeySet.import_key_set({"keys": [key.as_dict(private=False)]})),
    )
    token = jwt.encode({"alg": "ES256", "kid": "ec1"}, claims(), key)
    assert (await validator.validate(token))["sub"] == "u1"


@pytest.mark.parametrize(
    "overrides,message",
    [
        (
            {"iat": int(time.time()), "exp": int(time.time()) + 3601},
            "Token lifetime (exp - iat) of 3601 s exceeds the maximum of 3600 s",
        ),
        (  # back-dated `iat` does not help: the lifetime is exp - iat, not exp - now
            {"iat": int(time.time()) - 3000, "exp": int(time.time()) + 1000},
            "Token lifetime (exp - iat) of 4000 s exceeds the maximum of 3600 s",
        ),
        ({"iat": None}, "Token has no iat claim: its lifetime cannot be checked"),
        ({"iat": "yesterday"}, "Token is invalid (invalid_claim)"),
    ],
)
async def test_a_maximum_lifetime_refuses_longer_tokens(
    issuer: DevIssuer, overrides: dict[str, Any], message: str
) -> None:
    validator = TokenValidator(
        TokenPolicy(ISSUER, AUDIENCE, max_lifetime_seconds=3600),
        StaticKeys(issuer.public_keys()),
    )
    assert await validator.validate(signed(issuer, claims(exp=int(time.time()) + 3600)))
    with pytest.raises(AuthError) as refused:
        await validator.validate(signed(issuer, claims(**overrides)))
    assert refused.value.message == message


async def test_without_a_maximum_lifetime_long_tokens_pass(
    issuer: DevIssuer, validator: TokenValidator
) -> None:
    token = signed(issuer, claims(iat=None, exp=int(time.time()) + 30 * 86400))
    assert (await validator.validate(token))["sub"] == "u1"
