# OpsGraph server image. Without DATABASE_URL it runs its embedded PostgreSQL in /data;
# docker-compose.yml runs it against PostgreSQL and Redis services instead, and
# deploy/k8s/ on Kubernetes (the same user, data directory and port).
# Never built on the machines OpsGraph is developed on (no Docker engine there): hadolint
# checks this file, and a test runs its CMD with its ENV (tests/deploy/test_container.py).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 OPSGRAPH_DATA_DIR=/data \
    OPSGRAPH_HOST=0.0.0.0 OPSGRAPH_PORT=4000
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY opsgraph ./opsgraph
COPY subgraphs ./subgraphs
COPY resolvers ./resolvers
COPY router ./router
COPY db ./db
# A user of its own (uid 10001, as deploy/k8s/ runs it); it owns only the data directory.
RUN pip install --no-cache-dir -c constraints.txt . \
    && groupadd --system --gid 10001 opsgraph \
    && useradd --system --uid 10001 --gid opsgraph --home-dir /data --no-create-home opsgraph \
    && mkdir -p /data \
    && chown opsgraph:opsgraph /data
USER 10001:10001
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/ready' % os.environ['OPSGRAPH_PORT'])"]
# The exec form: opsgraph is PID 1 and gets SIGTERM itself (graceful shutdown, then the
# embedded PostgreSQL stopped: opsgraph/serving.py).
CMD ["opsgraph", "serve"]
