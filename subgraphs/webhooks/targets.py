"""Which URLs a webhook may target (server-side request forgery).

A target is refused when its host is, or resolves to, an address that is loopback, private,
link-local (the cloud metadata service at 169.254.169.254 among them), unspecified, reserved,
multicast or otherwise not globally routable (`ipaddress` classifies them), unless private
targets are allowed (OPSGRAPH_WEBHOOK_ALLOW_PRIVATE, for tests and closed networks). The check
runs when a webhook is written and again before every delivery (DNS can change), and the
delivery connects to the address that was checked, not to a second resolution of the name."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

URL_MAX = 2048


class TargetRefused(ValueError):
    """The URL is malformed or names a forbidden address (the message says which)."""


@dataclass(frozen=True)
class Target:
    url: str
    host: str
    port: int
    address: str
    """The checked address the delivery connects to."""


def parse(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL; TargetRefused when it is not one."""
    if len(url) > URL_MAX:
        raise TargetRefused(f"url must be at most {URL_MAX} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise TargetRefused(f"url is not a valid URL: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("url must start with http:// or https://")
    if not parts.hostname:
        raise TargetRefused("url has no host")
    if parts.username or parts.password:
        raise TargetRefused("url must not carry credentials (use the signing secret)")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def forbidden(address: str) -> str | None:
    """Why `address` may not be targeted, or None."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for reason, flag in (
        ("a loopback address", ip.is_loopback),
        ("a link-local address (such as the metadata service)", ip.is_link_local),
        ("an unspecified address", ip.is_unspecified),
        ("a private address", ip.is_private),
        ("a multicast address", ip.is_multicast),
        ("a reserved address", ip.is_reserved),
        ("not a globally routable address", not ip.is_global),
    ):
        if flag:
            return reason
    return None


async def resolve(url: str, allow_private: bool) -> Target:
    """The URL's host resolved, every address it resolves to checked; TargetRefused when one
    is forbidden (and private targets are not allowed) or the name does not resolve."""
    host, port = parse(url)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise TargetRefused(f"url's host {host} does not resolve ({error.strerror})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise TargetRefused(f"url's host {host} does not resolve")
    if not allow_private:
        for address in addresses:
            reason = forbidden(address)
            if reason is not None:
                raise TargetRefused(f"url's host {host} resolves to {address}, {reason}")
    return Target(url=url, host=host, port=port, address=addresses[0])
