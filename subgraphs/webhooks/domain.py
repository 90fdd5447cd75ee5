"""The webhook domain's manifest: what the registry (opsgraph/domains.py) needs to run it."""

from pathlib import Path

from resolvers.domain import Domain
from subgraphs.webhooks import catalogue, permissions, seed, tables
from subgraphs.webhooks.delivery import JOB
from subgraphs.webhooks.fanout import CONSUMER
from subgraphs.webhooks.schema import schema

DOMAIN = Domain(
    name="webhooks",
    schema=schema,
    metadata=tables.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    permissions=permissions.PERMISSIONS,
    grants=permissions.GRANTS,
    seed=seed.seed,
    audited={"Webhook": tables.Webhook.id, "WebhookDelivery": tables.WebhookDelivery.id},
    consumers=(CONSUMER,),
    jobs=(JOB,),
    event_catalogue=catalogue.learn,
)
