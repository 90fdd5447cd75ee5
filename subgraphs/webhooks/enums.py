"""The webhook domain's vocabularies: Python enums that are also the GraphQL enums."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Where a webhook delivery is.")
class DeliveryStatus(Enum):
    PENDING = "PENDING"
    """Queued, not tried yet (or queued again by redeliverWebhook)."""
    RETRYING = "RETRYING"
    """Failed on a timeout, a 5xx or a 429; tried again later."""
    DELIVERED = "DELIVERED"
    """The endpoint answered 2xx."""
    DEAD = "DEAD"
    """Given up: a permanent failure, or still failing when the retry window closed."""
    SKIPPED = "SKIPPED"
    """Not sent: the webhook was deleted or disabled before its turn."""


@strawberry.enum(description="How one attempt of a delivery ended.")
class AttemptOutcome(Enum):
    DELIVERED = "DELIVERED"
    HTTP_ERROR = "HTTP_ERROR"
    """The endpoint answered, but not 2xx (see statusCode)."""
    TIMEOUT = "TIMEOUT"
    NETWORK_ERROR = "NETWORK_ERROR"
    REFUSED = "REFUSED"
    """Not sent: the target resolves to a forbidden address."""
