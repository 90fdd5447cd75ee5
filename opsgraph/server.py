"""The default deployment: the router with every subgraph in-process, in one ASGI app.

The router sees each subgraph only as its SDL plus an in-process transport; one request
context (tenant, database scope, loaders) is shared by all fetches of a request, so loaders
batch across subgraph boundaries too."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from db.failures import is_connection_failure
from opsgraph.attachments import configure_attachments
from opsgraph.auth.setup import Auth, build_auth
from opsgraph.domain_routes import authenticated_paths, domain_routes
from opsgraph.domains import REGISTRY, Registry
from opsgraph.events.amqp_export import export_positions
from opsgraph.events.bus import event_bus
from opsgraph.events.consumers import ConsumerRunners
from opsgraph.events.delivery import EventDelivery
from opsgraph.http_guard import HttpGuardMiddleware
from opsgraph.in_process import in_process_executor, in_process_subscriber, subgraph_sdl
from opsgraph.jobs.runner import job_runners
from opsgraph.metrics.app_metrics import AppMetrics
from opsgraph.metrics.gauges import ProcessGauges
from opsgraph.metrics.recorder import GatewayMetrics
from opsgraph.metrics.statements import StatementsPerRequest
from opsgraph.mutation_charges import MutationCharges
from opsgraph.pages import page_routes
from opsgraph.persisted import persisted_operations
from opsgraph.query_plan_access import principal_is_admin
from opsgraph.ratelimit import rate_limiter
from opsgraph.redis_link import RedisLink
from opsgraph.request_scope import RequestScopeMiddleware
from opsgraph.response_cache import response_cache
from opsgraph.runtime import Runtime
from opsgraph.settings import Settings
from opsgraph.telemetry.requests import RequestTelemetryMiddleware
from opsgraph.websocket_connections import WebSocketAuthenticator
from resolvers.context import Context
from resolvers.manifests import ApiSchema
from router.app import create_router_app
from router.composition import SubgraphSource, Supergraph, compose
from router.execution import InProcessTransport
from router.gateway import Gateway, MutationAdmission
from router.limits import OperationLimits, shape_rule
from router.observer import GatewayObserver
from router.persisted import PersistedOperations
from router.response_cache import ResponseCache
from router.subscriptions import Subscriptions
from router.websocket_protocol import GraphQLWebSocket, WebSocketLimits


def build_supergraph(
    urls: Mapping[str, str] | None = None, registry: Registry = REGISTRY
) -> Supergraph:
    """Compose the SDL of every registered subgraph (raises CompositionError). `urls` are the
    routing URLs a supergraph file names for split deployments."""
    urls = urls or {}
    return compose(
        [
            SubgraphSource(domain.name, subgraph_sdl(domain.schema), url=urls.get(domain.name))
            for domain in registry.domains
        ]
    )


def operation_limits(settings: Settings) -> OperationLimits:
    """Production hides the schema: no introspection, no "did you mean" hints."""
    exposed = settings.env != "production"
    return OperationLimits(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_directives=settings.max_directives,
        max_cost=settings.max_cost,
        max_variable_depth=settings.max_variable_depth,
        max_variable_values=settings.max_variable_values,
        introspection=exposed,
        suggestions=exposed,
    )


def build_gateway(
    settings: Settings | None = None,
    *,
    persisted: PersistedOperations | None = None,
    cache: ResponseCache | None = None,
    admit_mutation: MutationAdmission | None = None,
    registry: Registry = REGISTRY,
    observer: GatewayObserver | None = None,
) -> Gateway:
    transports = {
        domain.name: InProcessTransport(
            in_process_executor(domain.schema), in_process_subscriber(domain.schema)
        )
        for domain in registry.domains
    }
    limits = operation_limits(settings) if settings is not None else None
    return Gateway(
        build_supergraph(registry=registry),
        transports,
        limits=limits,
        persisted=persisted,
        response_cache=cache,
        cache_hints=registry.cache_hints,
        admit_mutation=admit_mutation,
        plan_access=principal_is_admin,
        observer=observer,
    )


def api_schema(gateway: Gateway) -> ApiSchema:
    """The gateway's composed schema and document rules, as the subgraphs receive them (data,
    not a call back into the router): what registering persisted operations checks against."""
    limits = gateway.limits
    return ApiSchema(
        gateway.supergraph.schema,
        limits.max_tokens,
        (shape_rule(limits),),
        gateway.documents.rules,
        hide_suggestions=not limits.suggestions,
    )


def redis_link(settings: Settings) -> RedisLink | None:
    """The process's Redis client (with its circuit breaker), when REDIS_URL is set."""
    if not settings.redis_url:
        return None
    return RedisLink(
        settings.redis_url,
        timeout=settings.redis_timeout_ms / 1000,
        cool_down=settings.redis_cool_down_ms / 1000,
    )


def websocket_limits(settings: Settings) -> WebSocketLimits:
    return WebSocketLimits(
        init_timeout=settings.ws_init_timeout_seconds,
        max_subscriptions=settings.ws_max_subscriptions,
        max_message_bytes=settings.max_body_bytes,
        keepalive=settings.ws_keepalive_seconds,
        send_timeout=settings.ws_send_timeout_seconds,
    )


def well_known_routes(auth: Auth) -> list[Route]:
    """The development issuer's discovery document and JWKS (none with an external issuer)."""
    issuer = auth.dev_issuer
    if issuer is None:
        return []

    async def discovery(request: Request) -> JSONResponse:
        return JSONResponse(issuer.discovery())

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse(issuer.jwks())

    return [
        Route("/.well-known/openid-configuration", discovery),
        Route("/.well-known/jwks.json", jwks),
    ]


def create_app(runtime: Runtime) -> Starlette:
    """The router app over a prepared runtime (database started and migrated)."""
    settings = runtime.settings
    configure_attachments(settings)
    auth = build_auth(runtime)
    # Every use of Redis in the process shares this client and its circuit breaker.
    link = redis_link(settings)
    limiter = (
        rate_limiter(link, settings.rate_limit_per_second, settings.rate_limit_burst)
        if settings.rate_limit_per_second > 0
        else None
    )
    charges = MutationCharges(limiter) if limiter is not None else None
    bus = event_bus(link)
    delivery = EventDelivery(bus)
    hub = delivery.hub
    # A user changed anywhere (another replica included): their tokens are checked afresh.
    hub.observe(runtime.active_users.observe)
    # A tenant's own role changed anywhere: tokens naming it get its current permissions.
    hub.observe(runtime.custom_roles.observe)
    caching = response_cache(settings, link, bus)
    consumers = ConsumerRunners(runtime.registry.consumers())  # every domain's
    jobs = job_runners(runtime.registry.jobs(), settings)  # every domain's

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.open()
        await metrics.start()
        await delivery.start(runtime)
        assert runtime.owner_sessions is not None and runtime.sessions is not None
        await consumers.start(runtime.owner_sessions, runtime.sessions, hub)
        await jobs.start(runtime.database_url, runtime.sessions)
        if caching is not None:
            caching[1].start()
        try:
            yield
        finally:
            await metrics.stop()
            await jobs.stop()
            await consumers.stop()
            await delivery.stop()
            if caching is not None:
                await caching[1].stop()
            await bus.close()
            await auth.close()
            if limiter is not None:
                await limiter.close()
            if link is not None:
                await link.close()
            await runtime.close()

    def app_sessions() -> async_sessionmaker[AsyncSession]:
        assert runtime.sessions is not None
        return runtime.sessions

    gateway = build_gateway(
        settings,
        persisted=persisted_operations(settings, link),
        cache=caching[0] if caching is not None else None,
        admit_mutation=charges,
        observer=GatewayMetrics(),
    )
    composed = api_schema(gateway)

    async def context_factory(request: Request) -> Context:
        assert runtime.sessions is not None
        context = Context.open(
            runtime.sessions,
            principal=request.state.principal,
            request_id=request.headers.get("x-request-id"),
            headers=request.headers,
            debug=settings.debug,
            roles_changed=runtime.custom_roles.forget,
            user_changed=runtime.active_users.forget,
            # Registering persisted operations validates them against the composed schema.
            api_schema=composed,
            entity_presence=gateway.entity_presence,
        )
        request.state.context = context  # closed by RequestScopeMiddleware
        if charges is not None:
            charges.bind(context, request.state.rate_limit_keys, prepaid=1)
        return context

    subscriptions = Subscriptions(gateway, queue_limit=settings.ws_queue_limit)
    websocket = GraphQLWebSocket(
        gateway,
        subscriptions,
        WebSocketAuthenticator(
            auth.authenticator,
            app_sessions,
            hub,
            max_connections=settings.ws_max_connections_per_principal,
            roles_changed=runtime.custom_roles.forget,
            active_users=runtime.active_users,
            api_schema=composed,
            entity_presence=gateway.entity_presence,
            debug=settings.debug,
            charges=charges,
        ),
        origin_allowed=lambda origin: origin in settings.cors_origins,
        limits=websocket_limits(settings),
    )
    metrics = AppMetrics(
        settings,
        ProcessGauges(
            websocket_connections=[lambda: websocket.open_connections],
            subscriptions=[subscriptions],
            # Every domain's consumers, and the message bus export when it is on.
            consumers=[
                *consumers.consumers,
                *export_positions(settings, [d.name for d in runtime.registry.domains]),
            ],
            job_kinds=jobs.kinds,
        ),
        runtime,
    )
    router_app = create_router_app(
        gateway,
        context_factory=context_factory,
        readiness=runtime.check_ready,
        graphiql=settings.graphiql,
        debug=settings.debug,
        websocket=websocket,
        unavailable=is_connection_failure,
        max_field_bytes=settings.max_body_bytes,
    )
    app = Starlette(
        routes=[
            *metrics.routes,
            *well_known_routes(auth),
            *page_routes(runtime.registry),
            *domain_routes(runtime.registry, app_sessions),
            Mount("/", router_app),
        ],
        lifespan=lifespan,
    )
    # For operators: the response cache's hit/miss counts, the running subscription
    # executions, the event hub's listeners and what Redis trouble cost (link.stats).
    app.state.response_cache = gateway.response_cache
    app.state.redis = link
    app.state.subscriptions = subscriptions
    app.state.event_hub = hub
    # Innermost: it counts the statements of the GraphQL work alone.
    app.add_middleware(StatementsPerRequest)
    # Added innermost first: principal and rate limit, the HTTP guard, CORS, then the
    # request's id, span and access log line around everything.
    app.add_middleware(
        RequestScopeMiddleware,
        authenticator=auth.authenticator,
        limiter=limiter,
        timeout_seconds=settings.request_timeout_seconds,
        principal_paths=authenticated_paths(runtime.registry),
    )
    app.add_middleware(
        HttpGuardMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_attachment_bytes,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=[
                "authorization",
                "content-type",
                "x-opsgraph-tenant",
                "apollo-require-preflight",
                "x-apollo-operation-name",
            ],
        )
    app.add_middleware(RequestTelemetryMiddleware)
    return app
