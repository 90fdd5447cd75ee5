"""The split deployment's files, generated from the registry (`opsgraph schema export` writes
them, `opsgraph schema check` fails when they are stale): `schema/subgraphs.toml` (where the
split router finds each subgraph) and `docker-compose.yml` (one service per subgraph in its
`split` profile). Each subgraph listens on `FIRST_PORT` plus its place in the registry."""

from __future__ import annotations

from opsgraph.domains import Registry

FIRST_PORT = 4101
TIMEOUT_S = 10


def port(registry: Registry, name: str) -> int:
    return FIRST_PORT + registry.names.index(name)


def url(registry: Registry, name: str, host: str = "127.0.0.1") -> str:
    """Where the split router reaches subgraph `name` (on `host`)."""
    return f"http://{host}:{port(registry, name)}/graphql"


def _entries(registry: Registry, *, service_names: bool) -> list[str]:
    """A `[subgraphs.NAME]` table per subgraph: on loopback, or (`service_names`) at the
    host named for it, as compose's services resolve."""
    lines: list[str] = []
    for domain in registry.domains:
        host = domain.name if service_names else "127.0.0.1"
        lines += [
            *([""] if lines else []),
            f"[subgraphs.{domain.name}]",
            f'url = "{url(registry, domain.name, host)}"',
            f"timeout_s = {TIMEOUT_S}",
        ]
    return lines


def subgraphs_toml(registry: Registry) -> str:
    """The split router's subgraphs file, every subgraph on loopback."""
    header = [
        "# The subgraphs `opsgraph router --config schema/subgraphs.toml` composes and serves,",
        "# each started on its own with `opsgraph subgraph NAME --port N`. `url` is where the",
        "# router sends GraphQL; `timeout_s` bounds each request (10 s when left out).",
        "# Generated from the domain registry by `opsgraph schema export`; do not edit.",
        "",
    ]
    return "\n".join(header + _entries(registry, service_names=False)) + "\n"


COMPOSE_HEAD = """\
# OpsGraph with real services: PostgreSQL, Redis and RabbitMQ beside the server.
#   docker compose up --build                    one process: router + every subgraph
#   docker compose --profile split up --build    split: each subgraph its own service, and
#                                                the router reaching them over HTTP
# Generated from the domain registry by `opsgraph schema export` (opsgraph/deployment.py);
# do not edit.
# The split services share OPSGRAPH_SUBGRAPH_SECRET (set it in .env: openssl rand -hex 32):
# the router sends it with every subgraph request, and the subgraphs answer _entities and
# _service only to it. Unset, they answer anyone in development; production refuses to start.
x-subgraph-secret: &subgraph-secret ${OPSGRAPH_SUBGRAPH_SECRET:-}
# Both serve http://127.0.0.1:4000/graphql (run one deployment at a time).
x-opsgraph: &opsgraph
  build: .
  environment:
    DATABASE_URL: postgresql://postgres:opsgraph@postgres:5432/opsgraph  # the owner
    # Requests connect as the walled role, created with a password by docker/initdb.
    DATABASE_APP_URL: postgresql://opsgraph_app:opsgraph_app@postgres:5432/opsgraph
    REDIS_URL: redis://redis:6379/0
    # Every committed domain event is published to the exchange opsgraph.events there.
    OPSGRAPH_AMQP_URL: amqp://opsgraph:opsgraph@rabbitmq:5672/
    OPSGRAPH_SUBGRAPH_SECRET: *subgraph-secret
  depends_on: &backing
    postgres: { condition: service_healthy }
    redis: { condition: service_healthy }
    rabbitmq: { condition: service_healthy }

services:
  postgres:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: opsgraph
      POSTGRES_DB: opsgraph
    volumes:
      - pgdata:/var/lib/postgresql/data
      - ./docker/initdb:/docker-entrypoint-initdb.d:ro  # creates opsgraph_app with a password
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U postgres"]
      interval: 5s
  redis:
    image: redis:7
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 5s
  rabbitmq:
    image: rabbitmq:4
    hostname: rabbitmq  # the node's name, and so its data directory, stays the same
    environment:
      RABBITMQ_DEFAULT_USER: opsgraph
      RABBITMQ_DEFAULT_PASS: opsgraph
    volumes:
      - rabbitmqdata:/var/lib/rabbitmq  # durable queues and persistent messages
    healthcheck:
      test: ["CMD", "rabbitmq-diagnostics", "-q", "ping"]
      interval: 5s
  opsgraph:
    <<: *opsgraph
    command: ["opsgraph", "serve", "--demo"]
    ports: ["4000:4000"]

  # --- split deployment (profile "split") -------------------------------------------------
"""


def _subgraph_service(registry: Registry, index: int) -> str:
    domain = registry.domains[index]
    name, listen = domain.name, port(registry, domain.name)
    command = f'["opsgraph", "subgraph", "{name}", "--host", "0.0.0.0", "--port", "{listen}"'
    lines = [f"  {name}:", "    <<: *opsgraph", '    profiles: ["split"]']
    if domain.peers_needed:
        lines += [
            "    # It checks the ids of other subgraphs' entities it stores, found through this:",
            f"    command: {command},",
            '              "--peers", "/etc/opsgraph/subgraphs.toml"]',
            "    configs:",
            "      - source: subgraphs",
            "        target: /etc/opsgraph/subgraphs.toml",
        ]
    else:
        lines.append(f"    command: {command}]")
    lines.append('    volumes: ["keys:/data"]  # the development issuer\'s key, shared')
    if index > 0:
        first = registry.domains[0].name
        lines += [
            "    depends_on:",
            "      <<: *backing",
            f"      # {first} migrates the database first (two processes migrating would race).",
            f"      {first}: {{ condition: service_healthy }}",
        ]
    probe = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{listen}/ready')"
    lines += [
        "    healthcheck:",
        f'      test: ["CMD", "python", "-c", "{probe}"]',
        "      interval: 5s",
    ]
    return "\n".join(lines) + "\n"


def docker_compose(registry: Registry) -> str:
    services = "".join(_subgraph_service(registry, i) for i in range(len(registry.domains)))
    router = [
        "  router:",
        "    <<: *opsgraph",
        '    profiles: ["split"]',
        '    command: ["opsgraph", "router", "--config", "/etc/opsgraph/subgraphs.toml"]',
        "    environment:",
        "      OPSGRAPH_SUBGRAPH_SECRET: *subgraph-secret",
        "    configs:",
        "      - source: subgraphs",
        "        target: /etc/opsgraph/subgraphs.toml",
        '    ports: ["4000:4000"]',
        "    depends_on:",
        *(f"      {name}: {{ condition: service_healthy }}" for name in registry.names),
    ]
    config = "".join(
        f"      {line}\n" if line else "\n" for line in _entries(registry, service_names=True)
    )
    return (
        COMPOSE_HEAD
        + services
        + "\n".join(router)
        + "\n\nconfigs:\n  subgraphs:\n    content: |\n"
        + config
        + "\nvolumes:\n  pgdata:\n  rabbitmqdata:\n  keys:\n"
    )
