"""Prometheus metrics (issue 22): what is counted where, and ``GET /metrics``.

- ``families``: counters and histograms recorded as things happen (requests, errors,
  subgraph fetches, statements per request, response-cache and APQ lookups);
- ``recorder``: the gateway's observer (``router.observer``) writing them;
- ``statements``: SQL statements per HTTP request;
- ``gauges``: what is read when scraped (pool, WebSockets, subscriptions, outbox);
- ``labels``: bounded label values;
- ``exposition``: the endpoint, its protection and its own listener;
- ``app_metrics``: what an app wires in.

Imports no subgraph; the router knows nothing of this package."""
