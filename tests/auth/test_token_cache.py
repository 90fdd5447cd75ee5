"""Validated tokens are remembered: a client's next requests cost no signature verification,
yet an expired token, a key rotated out and a deactivated user are refused as before.

The figures are counts of signature verifications (`TokenValidator.verifications`); the
cache's bound runs on a clock the tests move."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from opsgraph.auth.active_users import UserState
from opsgraph.auth.errors import AuthError
from opsgraph.auth.issuer import DevIssuer
from opsgraph.auth.keys import StaticKeys
from opsgraph.auth.principals import Authenticator, Refused
from opsgraph.auth.token_cache import MAX_ENTRIES
from opsgraph.auth.tokens import TokenPolicy, TokenValidator
from opsgraph.domains import REGISTRY

ISSUER, AUDIENCE = "http://127.0.0.1:4000", "opsgraph"


class Clock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> DevIssuer:
    return DevIssuer(Path(tmp_path_factory.mktemp("issuer")), ISSUER, AUDIENCE)


def validator(keys: StaticKeys, clock: Clock | None = None, **policy: Any) -> TokenValidator:
    return TokenValidator(
        TokenPolicy(ISSUER, AUDIENCE, **policy),
        keys,
        **({"clock": clock} if clock is not None else {}),
    )


def mint(key: RSAKey, ttl: int = 300, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u1", "tenant_id": "t"}
    payload |= {"iat": now, "exp": now + ttl, **claims}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, payload, key)


async def test_a_token_is_verified_once_while_it_is_cached(issuer: DevIssuer) -> None:
    tokens = validator(StaticKeys(issuer.public_keys()))
    first, second = mint(issuer.key, sub="u1"), mint(issuer.key, sub="u2")

    answers = [await tokens.validate(first) for _ in range(5)]
    other = await tokens.validate(second)

    assert [claims["sub"] for claims in answers] == ["u1"] * 5
    assert other["sub"] == "u2"
    assert tokens.verifications == 2


async def test_callers_get_claims_of_their_own(issuer: DevIssuer) -> None:
    tokens = validator(StaticKeys(issuer.public_keys()))
    token = mint(issuer.key, roles=["viewer"])
    (await tokens.validate(token))["roles"] = ["admin"]

    assert (await tokens.validate(token))["roles"] == ["viewer"]


async def test_a_cached_token_is_verified_again_once_the_bound_passes(issuer: DevIssuer) -> None:
    clock = Clock()
    tokens = validator(StaticKeys(issuer.public_keys()), clock)
    token = mint(issuer.key)
    await tokens.validate(token)

    clock.now += 59
    await tokens.validate(token)
    assert tokens.verifications == 1
    clock.now += 2  # 61 s after it was verified
    await tokens.validate(token)
    assert tokens.verifications == 2


async def test_a_cached_token_is_refused_once_it_expires(issuer: DevIssuer) -> None:
    tokens = validator(StaticKeys(issuer.public_keys()), leeway_seconds=0)
    token = mint(issuer.key, ttl=1)
    expires = int(time.time()) + 1
    await tokens.validate(token)

    while int(time.time()) <= expires:  # the real clock: the signature check reads it
        time.sleep(0.05)
    with pytest.raises(AuthError, match="Token has expired"):
        await tokens.validate(token)
    assert tokens.verifications == 2


async def test_a_key_rotated_out_is_refused_as_soon_as_the_new_keys_are_known(
    issuer: DevIssuer,
) -> None:
    clock = Clock()
    keys = StaticKeys(issuer.public_keys())
    tokens = validator(keys, clock)
    old = mint(issuer.key)
    await tokens.validate(old)

    successor = RSAKey.generate_key(2048, parameters={"kid": "successor"}, private=True)
    keys.keys = KeySet([RSAKey.import_key(successor.as_dict(private=False))])
    clock.now += 1  # well within the bound
    with pytest.raises(AuthError, match="unknown key"):
        await tokens.validate(old)
    assert (await tokens.validate(mint(successor)))["sub"] == "u1"
    assert tokens.verifications == 3


async def test_a_key_rotated_out_unknown_to_the_process_is_refused_within_the_bound(
    issuer: DevIssuer,
) -> None:
    """A key set changed where the process cannot see it (the same set object, its keys
    replaced): the cache answers until the bound, then the token is verified and refused."""
    clock = Clock()
    keys = StaticKeys(issuer.public_keys())
    tokens = validator(keys, clock)
    old = mint(issuer.key)
    await tokens.validate(old)

    successor = RSAKey.generate_key(2048, parameters={"kid": "successor"}, private=True)
    keys.keys.keys[:] = [RSAKey.import_key(successor.as_dict(private=False))]
    clock.now += 30
    await tokens.validate(old)  # still the cache's answer
    clock.now += 31
    with pytest.raises(AuthError, match="unknown key"):
        await tokens.validate(old)
    assert tokens.verifications == 2


async def test_refused_tokens_are_not_remembered(issuer: DevIssuer) -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": issuer.key.kid}, private=True)
    tokens = validator(StaticKeys(issuer.public_keys()))
    forged = mint(stranger)
    for _ in range(3):
        with pytest.raises(AuthError, match="signature is invalid"):
            await tokens.validate(forged)
    assert tokens.verifications == 3
    assert len(tokens.cache) == 0


async def test_the_cache_holds_a_bounded_number_of_tokens(issuer: DevIssuer) -> None:
    keys = issuer.public_keys()
    tokens = validator(StaticKeys(keys))
    claims = {"exp": time.time() + 300}
    for n in range(MAX_ENTRIES + 5):
        tokens.cache.put(n.to_bytes(8), claims, None, keys)
    assert len(tokens.cache) == MAX_ENTRIES


async def test_a_deactivated_user_is_refused_though_the_token_is_cached(
    issuer: DevIssuer,
) -> None:
    """The user's state is asked per request (active_users.py caches it, and drops it on
    a change), after validation: caching the token does not extend a deactivated user."""
    tenant, user = uuid.uuid4(), uuid.uuid4()
    states = {(tenant, user): UserState.ACTIVE}

    async def user_state(tenant_id: uuid.UUID, user_id: uuid.UUID) -> UserState:
        return states.get((tenant_id, user_id), UserState.UNKNOWN)

    async def tenant_of(reference: str) -> uuid.UUID | None:
        return tenant if reference == str(tenant) else None

    tokens = validator(StaticKeys(issuer.public_keys()))
    authenticator = Authenticator(
        tokens,
        tenant_of,
        roles=REGISTRY.roles,
        default_tenant=str(tenant),
        anonymous_role=None,
        users=user_state,
    )
    token = mint(issuer.key, sub=str(user), tenant_id=str(tenant), roles=["operator"])
    headers = {"authorization": f"Bearer {token}"}
    assert (await authenticator.principal(headers)).user_id == user

    states[(tenant, user)] = UserState.INACTIVE
    with pytest.raises(Refused) as refused:
        await authenticator.principal(headers)
    assert (refused.value.status, refused.value.message) == (
        401,
        "The token's user is deactivated",
    )
    assert tokens.verifications == 1
