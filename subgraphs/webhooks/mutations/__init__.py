"""Mutation root of the webhooks subgraph, one module per mutation."""

import strawberry

from subgraphs.webhooks.mutations.create_webhook import create_webhook
from subgraphs.webhooks.mutations.delete_webhook import delete_webhook
from subgraphs.webhooks.mutations.redeliver_webhook import redeliver_webhook
from subgraphs.webhooks.mutations.update_webhook import update_webhook


@strawberry.type
class Mutation:
    create_webhook = create_webhook
    update_webhook = update_webhook
    delete_webhook = delete_webhook
    redeliver_webhook = redeliver_webhook
