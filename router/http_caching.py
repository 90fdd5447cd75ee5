"""HTTP caching of GET query responses: ``Cache-Control`` from the operation's cache policy,
a strong ``ETag`` over the body, and ``304 Not Modified`` for a matching ``If-None-Match``."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from router.response_cache import CachePolicy

# The response depends on who asks and for which tenant.
VARY = "Authorization, X-OpsGraph-Tenant"


def cache_headers(policy: CachePolicy, body: bytes | memoryview) -> dict[str, str]:
    return {
        "Cache-Control": policy.header(),
        "ETag": f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        "Vary": VARY,
    }


def not_modified(request: Mapping[str, str], response: Mapping[str, str]) -> bool:
    """True when the client's ``If-None-Match`` names the response's ETag (or ``*``)."""
    wanted = request.get("if-none-match")
    etag = response.get("ETag")
    if not wanted or not etag:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
    return "*" in tags or etag in tags
