"""The webhooks domain's metric, in prometheus-client's default registry beside the server's
(opsgraph/metrics/families.py), so `/metrics` shows it with them; defined here, where the
outcomes are decided, so the domain stays a package of its own."""

from __future__ import annotations

from prometheus_client import Counter

WEBHOOK_DELIVERIES = Counter(
    "opsgraph_webhook_deliveries",
    "Webhook delivery attempts by outcome: delivered (2xx), retried (a timeout, network "
    "error, 5xx or 429 within the retry window), dead_lettered (any other answer, or the "
    "retry window closed or the endpoint disabled), refused (the target resolved to an "
    "address deliveries may not reach)",
    ["outcome"],
)
