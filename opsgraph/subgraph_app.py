"""One subgraph as its own HTTP service (`opsgraph subgraph NAME --port N`): POST/GET
/graphql with `_service` and `_entities`, for our router in HTTP mode or any Federation 2
gateway; /health and /ready as on the router.

A subgraph with a Subscription root also streams: over WebSocket on /graphql
(graphql-transport-ws, by the in-process server's endpoint and rules) and as streamed HTTP
responses, multipart or server-sent events (opsgraph/subgraph_streams.py), following
committed events with a relay and hub of its own (opsgraph/events/delivery.py). A
subscription sent as a plain HTTP request is refused with BAD_REQUEST (HTTP 406) naming the
ways.

It applies the router's rules itself (opsgraph/subgraph_gate.py): operation limits,
production's hidden schema, `_entities`/`_service` for the router only; and the router's
HTTP guard (body size, CSRF, security headers) and request timeout. As on the router, a
response with nothing but SERVICE_UNAVAILABLE errors (its database is down) is HTTP 503
with Retry-After."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Sequence
from typing import Any

import strawberry
from cross_web import AsyncHTTPRequestAdapter
from graphql import OperationDefinitionNode, OperationType
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from opsgraph.attachments import configure_attachments
from opsgraph.auth.setup import build_auth
from opsgraph.events.amqp_export import export_positions
from opsgraph.events.bus import event_bus
from opsgraph.events.consumers import ConsumerRunners
from opsgraph.events.delivery import EventDelivery
from opsgraph.http_guard import HttpGuardMiddleware
from opsgraph.jobs.runner import job_runners
from opsgraph.metrics.app_metrics import AppMetrics
from opsgraph.metrics.gauges import ProcessGauges
from opsgraph.metrics.statements import StatementsPerRequest
from opsgraph.peers import PeerPresence
from opsgraph.request_auth import PrincipalSource
from opsgraph.request_scope import RequestScopeMiddleware
from opsgraph.router_secret import require_router_secret
from opsgraph.runtime import Runtime
from opsgraph.server import operation_limits, redis_link, websocket_limits
from opsgraph.subgraph_gate import RouterAwareAuthenticator, SubgraphGate
from opsgraph.subgraph_operations import SubgraphOperations
from opsgraph.subgraph_streams import StreamedSubscriptions, plain_subscription_refused
from opsgraph.telemetry.requests import RequestTelemetryMiddleware
from opsgraph.websocket_connections import WebSocketAuthenticator
from resolvers.consumers import EventConsumer
from resolvers.context import Context
from resolvers.events import EventFeed
from resolvers.jobs import JobKind
from router.execution import reads_one_snapshot
from router.execution.errors import is_unavailable, unavailable_headers
from router.gateway import RequestError
from router.subscriptions import Subscriptions
from router.telemetry import name_operation
from router.websocket_protocol import GraphQLWebSocket


class SubgraphGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with our per-request Context (RequestScopeMiddleware closes it),
    every request passed through the gate first."""

    def __init__(
        self,
        schema: strawberry.federation.Schema,
        runtime: Runtime,
        gate: SubgraphGate,
        peers: PeerPresence | None = None,
        events: EventFeed | None = None,
    ) -> None:
        # Uploads come from the router (router/execution/http_uploads.py), past the HTTP
        # guard's CSRF check like any multipart POST.
        super().__init__(
            schema, graphql_ide=None, allow_queries_via_get=True, multipart_uploads_enabled=True
        )
        self.runtime = runtime
        self.gate = gate
        self.peers = peers
        self.events = events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except RequestError as refused:  # raised by the gate, before anything was sent
            response = JSONResponse(
                {"errors": refused.errors}, status_code=refused.status, headers=refused.headers
            )
            await response(scope, receive, send)

    async def get_context(self, request: Any, response: Any) -> Context:
        return await self.open_context(request)

    async def open_context(self, request: Request) -> Context:
        """The request's context (closed by RequestScopeMiddleware once it is answered)."""
        assert self.runtime.sessions is not None
        context = Context.open(
            self.runtime.sessions,
            principal=request.state.principal,
            request_id=request.headers.get("x-request-id"),
            headers=dict(request.headers),
            debug=self.runtime.settings.debug,
            events=self.events,
            roles_changed=self.runtime.custom_roles.forget,
            entity_presence=self.peers,
            user_changed=self.runtime.active_users.forget,
        )
        request.state.context = context
        return context

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        kinds = set()
        for data in request_data if isinstance(request_data, list) else [request_data]:
            self.gate.check(data.query, data.variables, data.operation_name, request.headers)
            operation = self._operation(data)
            if operation is None:
                continue  # Strawberry reports what is wrong with it
            name_operation(operation)
            if operation.operation == OperationType.SUBSCRIPTION:
                raise plain_subscription_refused()
            kinds.add(operation.operation)
        if kinds == {OperationType.QUERY}:
            reads_one_snapshot(context)  # this subgraph's statements for the request agree
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    def _operation(self, data: GraphQLRequestData) -> OperationDefinitionNode | None:
        try:
            _, operation = self.gate.operation(data.query, data.operation_name)
        except RequestError:
            return None
        return operation

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if isinstance(response_data, dict) and is_unavailable(response_data):
            response.status_code = 503
            response.headers.update(unavailable_headers())
        return response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Errors raised while executing (a resolver's coercion, say) lose their hints too."""
        if result.errors:
            result = dataclasses.replace(result, errors=self.gate.public(result.errors))
        return await super().process_result(request, result)


def create_subgraph_app(
    schema: strawberry.federation.Schema,
    runtime: Runtime,
    peers: PeerPresence | None = None,
    consumers: Sequence[EventConsumer] = (),
    routes: Sequence[BaseRoute] = (),
    jobs: Sequence[JobKind] = (),
    principal_paths: frozenset[str] = frozenset(),
) -> Starlette:
    """The subgraph re-validates the caller's token itself: a principal forwarded by a router
    is never taken from a plain header. `peers` check the references it stores (opsgraph/
    peers.py); without them, writes carrying references are refused. `consumers` (the served
    domain's) run with the app, woken by its hub when it streams, else polling; so do its
    `jobs` (the durable job queue's worker for its job kinds). `routes` are the served
    domain's HTTP endpoints (opsgraph/domain_routes.py), those at `principal_paths`
    authenticated as GraphQL requests are. Raises
    SettingsError in production without OPSGRAPH_SUBGRAPH_SECRET."""
    settings = runtime.settings
    require_router_secret(settings)
    configure_attachments(settings)
    auth = build_auth(runtime)
    gate = SubgraphGate(schema._schema, operation_limits(settings), settings.subgraph_secret)
    streams = schema._schema.subscription_type is not None
    link = redis_link(settings) if streams else None
    delivery = EventDelivery(event_bus(link)) if streams else None
    view = SubgraphGraphQL(schema, runtime, gate, peers, delivery.hub if delivery else None)
    runners = ConsumerRunners(consumers)
    job_workers = job_runners(jobs, settings)
    graphql: list[Route | WebSocketRoute] = [Route("/graphql", view, methods=["GET", "POST"])]
    gauges = ProcessGauges(consumers=runners.consumers, job_kinds=job_workers.kinds)
    if delivery is not None:  # it exports to the message bus too, when that is on
        domains = [domain.name for domain in runtime.registry.domains]
        gauges.consumers = [*runners.consumers, *export_positions(settings, domains)]
    if delivery is not None:
        graphql = _streaming_routes(
            schema, runtime, auth.authenticator, gate, view, delivery, gauges
        )
    metrics = AppMetrics(settings, gauges, runtime)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> JSONResponse:
        try:
            await runtime.check_ready()
        except Exception as error:
            return JSONResponse({"status": "unavailable", "reason": str(error)}, status_code=503)
        return JSONResponse({"status": "ready"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.open()
        await metrics.start()
        if delivery is not None:
            await delivery.start(runtime)
        assert runtime.owner_sessions is not None and runtime.sessions is not None
        hub = delivery.hub if delivery else None
        await runners.start(runtime.owner_sessions, runtime.sessions, hub)
        await job_workers.start(runtime.database_url, runtime.sessions)
        try:
            yield
        finally:
            await metrics.stop()
            await job_workers.stop()
            await runners.stop()
            if delivery is not None:
                await delivery.stop()
                await delivery.bus.close()
            if link is not None:
                await link.close()
            await auth.close()
            if peers is not None:
                await peers.close()
            await runtime.close()

    app = Starlette(
        routes=[
            Route("/health", health),
            Route("/ready", ready),
            *metrics.routes,
            *routes,
            *graphql,
        ],
        lifespan=lifespan,
    )
    app.add_middleware(StatementsPerRequest)
    app.add_middleware(
        RequestScopeMiddleware,
        authenticator=RouterAwareAuthenticator(auth.authenticator, settings.subgraph_secret),
        timeout_seconds=settings.request_timeout_seconds,
        principal_paths=principal_paths,
    )
    app.add_middleware(
        HttpGuardMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_attachment_bytes,
    )
    app.add_middleware(RequestTelemetryMiddleware)
    return app


def _streaming_routes(
    schema: strawberry.federation.Schema,
    runtime: Runtime,
    authenticator: PrincipalSource,
    gate: SubgraphGate,
    view: SubgraphGraphQL,
    delivery: EventDelivery,
    gauges: ProcessGauges,
) -> list[Route | WebSocketRoute]:
    """/graphql for a subgraph that streams: streamed subscriptions in front of the view,
    and the WebSocket endpoint; connections are authenticated as HTTP requests are (the
    router's own too, by its secret). Both are sources of the metrics' ``gauges``."""
    settings = runtime.settings
    hub = delivery.hub
    # Deactivated users and changed roles end or narrow what they stream, as in-process.
    hub.observe(runtime.active_users.observe)
    hub.observe(runtime.custom_roles.observe)
    operations = SubgraphOperations(schema, gate)
    subscriptions = Subscriptions(operations, queue_limit=settings.ws_queue_limit)

    def sessions() -> async_sessionmaker[AsyncSession]:
        assert runtime.sessions is not None
        return runtime.sessions

    websocket = GraphQLWebSocket(
        operations,
        subscriptions,
        WebSocketAuthenticator(
            RouterAwareAuthenticator(authenticator, settings.subgraph_secret),
            sessions,
            hub,
            max_connections=settings.ws_max_connections_per_principal,
            roles_changed=runtime.custom_roles.forget,
            active_users=runtime.active_users,
            entity_presence=view.peers,
            debug=settings.debug,
        ),
        origin_allowed=lambda origin: origin in settings.cors_origins,
        limits=websocket_limits(settings),
    )
    gauges.websocket_connections = [lambda: websocket.open_connections]
    gauges.subscriptions = [subscriptions]
    streams = StreamedSubscriptions(
        view,
        operations,
        subscriptions,
        view.open_context,
        runtime.active_users,
        max_streams=settings.ws_max_connections_per_principal * settings.ws_max_subscriptions,
    )
    return [
        Route("/graphql", streams, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", websocket.serve),
    ]
