"""The split deployment's router: subgraphs listed in a TOML file, reached over HTTP.

`opsgraph router --config schema/subgraphs.toml` reads the file, asks every subgraph for its
SDL (`{ _service { sdl } }`), composes them and serves the API, sending each fetch through
one shared pooled HTTP client. It needs no database: the subgraphs authenticate the caller
themselves from the forwarded `Authorization`, `X-OpsGraph-Tenant` and `X-Request-Id`
headers. Every request to a subgraph, SDL fetches included, carries the router's secret
(OPSGRAPH_SUBGRAPH_SECRET, opsgraph/router_secret.py) when one is set.

The file (`timeout_s` is optional, 10 s by default)::

    [subgraphs.identity]
    url = "http://127.0.0.1:4101/graphql"
    timeout_s = 10

An entry may name an in-process module instead (`module = "subgraphs.identity"`), the way
`opsgraph serve` runs subgraphs; `opsgraph router` refuses those, having no subgraph code.
"""

from __future__ import annotations

import asyncio
import contextlib
import tomllib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request

from opsgraph.router_secret import router_headers
from router.app import create_router_app
from router.composition import SubgraphSource, Supergraph, compose
from router.execution import HttpTransport, Transport, create_http_client
from router.gateway import Gateway
from router.limits import OperationLimits

DEFAULT_TIMEOUT_S = 10.0
SDL_QUERY = "{ _service { sdl } }"


class ConfigError(ValueError):
    """The subgraphs file is missing, malformed or names a subgraph the router cannot reach."""


@dataclass(frozen=True, slots=True)
class SubgraphConfig:
    """One `[subgraphs.NAME]` table: where the subgraph runs and how long to wait for it."""

    name: str
    url: str | None = None
    module: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S


@dataclass(frozen=True, slots=True)
class CallerHeaders:
    """The request context in remote mode: the caller's headers, for HttpTransport to forward."""

    headers: Mapping[str, str]


def load_config(path: Path) -> list[SubgraphConfig]:
    """Read and check the subgraphs file (sorted by name)."""
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from error
    tables = document.get("subgraphs")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"{path}: no [subgraphs.NAME] table")
    configs = []
    for name, table in sorted(tables.items()):
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: subgraphs.{name} must be a table")
        unknown = sorted(set(table) - {"url", "module", "timeout_s"})
        if unknown:
            raise ConfigError(f"{path}: subgraphs.{name}: unknown key(s) {', '.join(unknown)}")
        url, module = table.get("url"), table.get("module")
        if (url is None) == (module is None):
            raise ConfigError(f"{path}: subgraphs.{name} needs exactly one of url, module")
        timeout = table.get("timeout_s", DEFAULT_TIMEOUT_S)
        if not isinstance(timeout, int | float) or timeout <= 0:
            raise ConfigError(f"{path}: subgraphs.{name}.timeout_s must be a positive number")
        configs.append(SubgraphConfig(name, url, module, float(timeout)))
    return configs


def parse_subgraph_flags(flags: Sequence[str]) -> list[SubgraphConfig]:
    """`NAME=URL` pairs (the router's `--subgraph` flags) as configs, sorted by name, with the
    default timeout; ConfigError naming the flag that is not one."""
    configs: dict[str, SubgraphConfig] = {}
    for flag in flags:
        name, _, url = flag.partition("=")
        if not name or not url.startswith(("http://", "https://")):
            raise ConfigError(f"--subgraph {flag!r}: expected NAME=http(s)://host:port/graphql")
        if name in configs:
            raise ConfigError(f"--subgraph {name} is given twice")
        configs[name] = SubgraphConfig(name, url, None, DEFAULT_TIMEOUT_S)
    return [configs[name] for name in sorted(configs)]


def remote_subgraphs(configs: Sequence[SubgraphConfig]) -> list[SubgraphConfig]:
    """The configs, refusing in-process entries: this router has no subgraph code loaded."""
    in_process = [config.name for config in configs if config.url is None]
    if in_process:
        raise ConfigError(
            f"subgraph(s) {', '.join(in_process)} are in-process (module = ...): "
            "`opsgraph router` reaches subgraphs over HTTP only; use `opsgraph serve` to run "
            "them in-process, or give them a url"
        )
    return list(configs)


async def fetch_sdl(client: httpx.AsyncClient, config: SubgraphConfig) -> str:
    """The subgraph's answer to `{ _service { sdl } }`; ConfigError when there is none."""
    assert config.url is not None
    try:
        response = await client.post(
            config.url, json={"query": SDL_QUERY}, timeout=config.timeout_s
        )
        if response.status_code in (401, 403):
            raise ConfigError(
                f"subgraph {config.name} at {config.url} refused {SDL_QUERY} "
                f"(HTTP {response.status_code}: {_first_message(response)}); give the router "
                "the OPSGRAPH_SUBGRAPH_SECRET the subgraph has"
            )
        sdl = response.json()["data"]["_service"]["sdl"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(
            f"subgraph {config.name} at {config.url} did not answer {SDL_QUERY}: {error!r}"
        ) from error
    if not isinstance(sdl, str):
        raise ConfigError(f"subgraph {config.name} at {config.url} sent no SDL")
    return sdl


def _first_message(response: httpx.Response) -> str:
    try:
        return str(response.json()["errors"][0]["message"])
    except (ValueError, KeyError, IndexError, TypeError):
        return response.text[:200]


async def compose_remote(
    configs: Sequence[SubgraphConfig], secret: str | None = None
) -> Supergraph:
    """Fetch every subgraph's SDL concurrently and compose (raises CompositionError)."""
    async with httpx.AsyncClient(headers=router_headers(secret)) as client:
        sdls = await asyncio.gather(*(fetch_sdl(client, config) for config in configs))
    return compose(
        [
            SubgraphSource(config.name, sdl, config.url)
            for config, sdl in zip(configs, sdls, strict=True)
        ]
    )


def create_remote_app(
    supergraph: Supergraph,
    configs: Sequence[SubgraphConfig],
    *,
    graphiql: bool = True,
    debug: bool = False,
    secret: str | None = None,
    limits: OperationLimits | None = None,
    override_labels: Sequence[str] = (),
) -> Starlette:
    """The router app over HTTP transports sharing one client, closed when the app stops;
    ``limits`` as for ``opsgraph serve`` (production: no introspection, no hints);
    ``override_labels`` turns on progressive ``@override`` labels of those names."""
    client = create_http_client(headers=router_headers(secret))
    transports: dict[str, Transport] = {
        config.name: HttpTransport(config.url, config.timeout_s, client)
        for config in configs
        if config.url is not None
    }

    async def context_factory(request: Request) -> CallerHeaders:
        return CallerHeaders(request.headers)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await client.aclose()

    return create_router_app(
        Gateway(supergraph, transports, limits=limits, override_labels=override_labels),
        context_factory=context_factory,
        lifespan=lifespan,
        graphiql=graphiql,
        debug=debug,
    )
