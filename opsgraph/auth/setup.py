"""Building the request authenticator from the settings: the configured OIDC issuer (keys by
discovery), or OpsGraph's own development issuer (keys in the data directory)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from opsgraph.auth.issuer import DevIssuer
from opsgraph.auth.keys import DiscoveredKeys, KeySource, StaticKeys
from opsgraph.auth.principals import Authenticator
from opsgraph.auth.tokens import TokenPolicy, TokenValidator
from opsgraph.runtime import Runtime
from opsgraph.settings import Settings


@dataclass
class Auth:
    authenticator: Authenticator
    dev_issuer: DevIssuer | None
    client: httpx.AsyncClient | None

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()


def dev_issuer(settings: Settings) -> DevIssuer:
    return DevIssuer(settings.data_dir, settings.token_issuer, settings.oidc_audience)


def token_policy(settings: Settings) -> TokenPolicy:
    """What a valid token is, from the settings (issuer, audience, algorithms, lifetime)."""
    return TokenPolicy(
        issuer=settings.token_issuer,
        audience=settings.oidc_audience,
        algorithms=settings.jwt_algorithms,
        max_lifetime_seconds=settings.token_max_lifetime_seconds or None,
    )


def build_auth(runtime: Runtime) -> Auth:
    """The authenticator over the runtime's settings, role catalogue, tenant directory and
    caches of custom roles and active users."""
    settings = runtime.settings
    policy = token_policy(settings)
    issuer: DevIssuer | None = None
    client: httpx.AsyncClient | None = None
    keys: KeySource
    if settings.oidc_issuer:
        client = httpx.AsyncClient()
        keys = DiscoveredKeys(settings.oidc_issuer, client)
    else:
        issuer = dev_issuer(settings)
        keys = StaticKeys(issuer.public_keys())
    authenticator = Authenticator(
        TokenValidator(policy, keys),
        runtime.tenant_id,
        roles=runtime.registry.roles,
        default_tenant=settings.default_tenant,
        anonymous_role=settings.anonymous_role,
        users=runtime.active_users.state,
        custom_roles=runtime.custom_roles.get,
    )
    return Auth(authenticator, issuer, client)
