"""Batched reads of the webhook tables, always within the request's tenant."""

from __future__ import annotations

import uuid

from resolvers.loaders import RowsByKeyLoader
from subgraphs.webhooks import tables


class AttemptsByDeliveryIdLoader(RowsByKeyLoader[uuid.UUID]):
    """The attempts of each delivery, in order."""

    table = tables.WebhookAttempt
    key = "delivery_id"
    order = ("attempt", "id")
