"""The split deployment's router: subgraphs listed in a TOML file, reached over HTTP.

`opsgraph router --config schema/subgraphs.toml` reads the file, asks every subgraph for its
SDL (`{ _service { sdl } }`), composes them and serves the API, sending each fetch through
one shared pooled HTTP client. It needs no database: the subgraphs authenticate the caller
themselves from the forwarded `Authorization`, `X-OpsGraph-Tenant` and `X-Request-Id`
headers. Every request to a subgraph, SDL fetches included, carries the router's secret
(OPSGRAPH_SUBGRAPH_SECRET, opsgraph/router_secret.py) when one is set.

Subscriptions are served over WebSocket on /graphql (graphql-transport-ws) as by `opsgraph
serve`: the connection's caller is who `connection_init` (or the upgrade) names, and each
subscription is followed on the subgraph that owns its root field as a multipart HTTP
subscription carrying that caller's headers, each event's other fields fetched by the plan.
The subgraph applies resume, filter, permission and tenant rules itself, for every event.

The file (`timeout_s` is optional, 10 s by default; `headers` too, see
opsgraph/subgraph_headers.py)::

    [subgraphs.identity]
    url = "http://127.0.0.1:4101/graphql"
    timeout_s = 10
    headers = { "x-api-key" = "${IDENTITY_API_KEY}" }

An entry may name an in-process module instead (`module = "subgraphs.identity"`), the way
`opsgraph serve` runs subgraphs; `opsgraph router` refuses those, having no subgraph code.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import tomllib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Mount

from opsgraph.http_guard import HttpGuardMiddleware
from opsgraph.metrics.app_metrics import AppMetrics
from opsgraph.metrics.gauges import ProcessGauges
from opsgraph.metrics.recorder import GatewayMetrics
from opsgraph.route_proxy import proxied_routes
from opsgraph.router_secret import router_headers
from opsgraph.settings import Settings
from opsgraph.subgraph_headers import HeaderError, read_headers
from opsgraph.telemetry.requests import RequestTelemetryMiddleware
from opsgraph.websocket_connections import connection_headers
from resolvers.domain import DomainRoute
from router.app import create_router_app
from router.composition import SubgraphSource, Supergraph, compose
from router.execution import (
    HttpTransport,
    Transport,
    create_http_client,
    create_stream_client,
)
from router.gateway import Gateway
from router.limits import OperationLimits
from router.pipeline.query_plan import PlanAccess
from router.subscriptions import Subscriptions
from router.websocket_protocol import Grant, GraphQLWebSocket, WebSocketLimits

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
    # Sent with every request to this subgraph, after the router's secret.
    headers: tuple[tuple[str, str], ...] = ()


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
        unknown = sorted(set(table) - {"url", "module", "timeout_s", "headers"})
        if unknown:
            raise ConfigError(f"{path}: subgraphs.{name}: unknown key(s) {', '.join(unknown)}")
        url, module = table.get("url"), table.get("module")
        if (url is None) == (module is None):
            raise ConfigError(f"{path}: subgraphs.{name} needs exactly one of url, module")
        timeout = table.get("timeout_s", DEFAULT_TIMEOUT_S)
        if not isinstance(timeout, int | float) or timeout <= 0:
            raise ConfigError(f"{path}: subgraphs.{name}.timeout_s must be a positive number")
        try:
            headers = read_headers(table.get("headers", {}), f"subgraphs.{name}.headers")
        except HeaderError as error:
            raise ConfigError(f"{path}: {error}") from error
        configs.append(SubgraphConfig(name, url, module, float(timeout), headers))
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
    """The subgraph's answer to `{ _service { sdl } }`; ConfigError saying in one line why
    there is none (unreachable, refused, not GraphQL, errors, no SDL)."""
    assert config.url is not None
    where = f"subgraph {config.name} at {config.url}"
    try:
        response = await client.post(
            config.url,
            json={"query": SDL_QUERY},
            headers=dict(config.headers),
            timeout=config.timeout_s,
        )
    except httpx.HTTPError as error:
        reason = str(error) or type(error).__name__
        raise ConfigError(f"{where} did not answer {SDL_QUERY}: {reason}") from error
    if response.status_code in (401, 403):
        raise ConfigError(
            f"{where} refused {SDL_QUERY} (HTTP {response.status_code}: "
            f"{_first_message(response)}); give the router the OPSGRAPH_SUBGRAPH_SECRET the "
            "subgraph has, or the headers it needs (`headers` in the subgraphs file)"
        )
    try:
        body = response.json()
    except ValueError:
        raise ConfigError(
            f"{where} answered {SDL_QUERY} with HTTP {response.status_code} and no JSON: "
            f"{response.text[:200]!r}"
        ) from None
    data = body.get("data") if isinstance(body, dict) else None
    service = data.get("_service") if isinstance(data, dict) else None
    sdl = service.get("sdl") if isinstance(service, dict) else None
    if isinstance(sdl, str):
        return sdl
    if isinstance(body, dict) and body.get("errors"):
        raise ConfigError(
            f"{where} answered {SDL_QUERY} with an error (HTTP {response.status_code}): "
            f"{_first_message(response)}"
        )
    raise ConfigError(
        f"{where} answered {SDL_QUERY} without an SDL (HTTP {response.status_code}): "
        f"{response.text[:200]!r}; is it a Federation subgraph?"
    )


def _first_message(response: httpx.Response) -> str:
    try:
        error = response.json()["errors"][0]
        code = (error.get("extensions") or {}).get("code")
        return f"{code}: {error['message']}" if code else str(error["message"])
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return response.text[:200]


async def compose_remote(
    configs: Sequence[SubgraphConfig],
    secret: str | None = None,
    verify: ssl.SSLContext | bool = True,
) -> Supergraph:
    """Fetch every subgraph's SDL concurrently and compose (raises CompositionError).
    ConfigError names every subgraph whose SDL could not be had, one line each; `verify`
    checks HTTPS subgraphs' certificates."""
    async with httpx.AsyncClient(headers=router_headers(secret), verify=verify) as client:
        answers = await asyncio.gather(
            *(fetch_sdl(client, config) for config in configs), return_exceptions=True
        )
    failed = [answer for answer in answers if isinstance(answer, BaseException)]
    for answer in failed:
        if not isinstance(answer, ConfigError):
            raise answer
    if failed:
        raise ConfigError("\n".join(map(str, failed)))
    return compose(
        [
            SubgraphSource(config.name, str(sdl), config.url)
            for config, sdl in zip(configs, answers, strict=True)
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
    plan_access: PlanAccess | None = None,
    override_labels: Sequence[str] = (),
    origin_allowed: Callable[[str], bool] = lambda origin: False,
    queue_limit: int = 256,
    websocket_limits: WebSocketLimits | None = None,
    verify: ssl.SSLContext | bool = True,
    metrics: Settings | None = None,
    domain_routes: Sequence[tuple[str, DomainRoute]] = (),
    max_body_bytes: int = Settings.max_body_bytes,
    max_upload_bytes: int = Settings.max_attachment_bytes,
) -> Starlette:
    """The router app over HTTP transports, their clients closed when the app stops;
    ``limits`` as for ``opsgraph serve`` (production: no introspection, no hints);
    ``override_labels`` turns on progressive ``@override`` labels of those names.
    ``origin_allowed`` admits browsers' WebSocket upgrades from other origins; a
    subscription's responses queue up to ``queue_limit`` for a slow client; the sockets'
    limits are ``websocket_limits``; ``verify`` checks HTTPS subgraphs' certificates. With
    ``metrics`` (the settings saying who may read them) the router records its requests and
    fetches and serves ``/metrics`` (opsgraph/metrics). ``domain_routes`` (domain, route) are
    forwarded to the subgraph serving the domain (opsgraph/route_proxy.py). The HTTP guard
    (opsgraph/http_guard.py: CSRF, body limits, security headers) stands in front of
    everything, as on `opsgraph serve`: the router reads uploads itself before forwarding."""
    # A pool per subgraph (a pool never shares connections across hosts anyway), each
    # client carrying the router's secret and that subgraph's own headers.
    headers = {c.name: {**router_headers(secret), **dict(c.headers)} for c in configs}
    clients = {name: create_http_client(headers=headers[name], verify=verify) for name in headers}
    # Subscriptions hold their connections: apart from the fetches' pools.
    streams = {name: create_stream_client(headers[name], verify) for name in headers}
    transports: dict[str, Transport] = {
        config.name: HttpTransport(
            config.url, config.timeout_s, clients[config.name], streams[config.name]
        )
        for config in configs
        if config.url is not None
    }

    async def context_factory(request: Request) -> CallerHeaders:
        return CallerHeaders(request.headers)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if recorded is not None:
            await recorded.start()
        try:
            yield
        finally:
            if recorded is not None:
                await recorded.stop()
            for client in [*clients.values(), *streams.values()]:
                await client.aclose()

    gateway = Gateway(
        supergraph,
        transports,
        limits=limits,
        plan_access=plan_access,
        override_labels=override_labels,
        observer=GatewayMetrics() if metrics is not None else None,
    )
    subscriptions = Subscriptions(gateway, queue_limit=queue_limit)
    websocket = GraphQLWebSocket(
        gateway,
        subscriptions,
        caller_grant,
        origin_allowed=origin_allowed,
        limits=websocket_limits,
    )
    recorded = (
        AppMetrics(
            metrics,
            ProcessGauges(
                websocket_connections=[lambda: websocket.open_connections],
                subscriptions=[subscriptions],
            ),
        )
        if metrics is not None
        else None
    )
    forwarded = proxied_routes(
        domain_routes, {c.name: c.url for c in configs if c.url is not None}, clients
    )
    outer = recorded is not None or bool(forwarded)
    router_app = create_router_app(
        gateway,
        context_factory=context_factory,
        lifespan=None if outer else lifespan,
        graphiql=graphiql,
        debug=debug,
        websocket=websocket,
    )
    guard = {"max_body_bytes": max_body_bytes, "max_upload_bytes": max_upload_bytes}
    if not outer:
        router_app.add_middleware(HttpGuardMiddleware, **guard)
        router_app.add_middleware(RequestTelemetryMiddleware)
        return router_app
    router_app.add_middleware(RequestTelemetryMiddleware)
    # /metrics and the domains' endpoints beside the router's own routes; the lifespan is the
    # outer app's.
    app = Starlette(
        routes=[
            *(recorded.routes if recorded is not None else []),
            *forwarded,
            Mount("/", router_app),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(HttpGuardMiddleware, **guard)
    return app


async def caller_grant(
    upgrade: Mapping[str, str], payload: Mapping[str, Any], address: str
) -> Grant:
    """Admit a WebSocket connection as the caller it names: this router checks no token,
    the subgraphs check the forwarded ones for every subscription and fetch."""
    return Grant(CallerHeaders(connection_headers(upgrade, payload)))
