# OpsGraph server image. Without DATABASE_URL it runs its embedded PostgreSQL in /data;
# docker-compose.yml runs it against PostgreSQL and Redis services instead.
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
RUN pip install --no-cache-dir -c constraints.txt . && mkdir -p /data
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:4000/ready')" || exit 1
CMD ["opsgraph", "serve"]
