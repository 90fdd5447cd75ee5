"""Headers the split router adds to its requests to one subgraph (`headers` in
`subgraphs.toml`): a credential a gateway or mesh in front of that subgraph asks for, beside
the router's shared secret that every subgraph gets.

    [subgraphs.identity]
    url = "https://identity.internal/graphql"
    headers = { "x-api-key" = "${IDENTITY_API_KEY}" }

A value may name environment variables as `${NAME}`, so the file can be committed without
the secret; an unset variable refuses the file. The headers the router forwards from the
caller (router/execution/http.py) cannot be set here: the caller's would replace them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from router.execution.http import FORWARDED_HEADERS

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP field name (RFC 9110)


class HeaderError(ValueError):
    """A `headers` table that cannot be sent as it is."""


def read_headers(
    table: object, where: str, environ: Mapping[str, str] = os.environ
) -> tuple[tuple[str, str], ...]:
    """The `headers` table as (lower-case name, value) pairs, `${NAME}`s replaced."""
    if not isinstance(table, dict):
        raise HeaderError(f"{where} must be a table of header names to strings")
    headers: dict[str, str] = {}
    for name, value in sorted(table.items()):
        if not _TOKEN.match(name) or not isinstance(value, str):
            raise HeaderError(f"{where}.{name} must be a header name with a string value")
        if name.lower() in FORWARDED_HEADERS:
            raise HeaderError(
                f"{where}.{name}: the router forwards the caller's {name.lower()}; it cannot "
                "be set per subgraph"
            )

        def variable(match: re.Match[str], name: str = name) -> str:
            found = environ.get(match.group(1))
            if found is None:
                raise HeaderError(f"{where}.{name}: environment variable {match.group(1)} is unset")
            return found

        expanded = _VARIABLE.sub(variable, value)
        if "\n" in expanded or "\r" in expanded:
            raise HeaderError(f"{where}.{name}: a header value cannot span lines")
        headers[name.lower()] = expanded
    return tuple(headers.items())
