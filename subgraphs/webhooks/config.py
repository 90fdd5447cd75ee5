"""The webhook settings, read from the environment when used (opsgraph/settings.py validates
the same variables at start-up, so a bad value stops the process before any delivery).

A subgraph does not import the process's settings (import contracts in pyproject.toml); these
are read afresh at each use, so a test may change them between deliveries."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class WebhookConfig:
    allow_private: bool
    """OPSGRAPH_WEBHOOK_ALLOW_PRIVATE: targets on loopback/private/link-local addresses allowed."""
    retry_base_seconds: float
    """OPSGRAPH_WEBHOOK_RETRY_BASE_MS: the first retry's wait (doubling per attempt, jittered)."""
    retry_for_seconds: float
    """OPSGRAPH_WEBHOOK_RETRY_FOR_SECONDS: how long after the event a delivery is retried
    before it is dead-lettered (24 h)."""
    disable_after_seconds: float
    """OPSGRAPH_WEBHOOK_DISABLE_AFTER_SECONDS: an endpoint failing without a success for this
    long is disabled (5 days; 0: never)."""
    timeout_seconds: float
    """OPSGRAPH_WEBHOOK_TIMEOUT_MS: one attempt's time limit."""


def _number(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def current() -> WebhookConfig:
    allow = os.environ.get("OPSGRAPH_WEBHOOK_ALLOW_PRIVATE", "").strip().lower()
    return WebhookConfig(
        allow_private=allow in ("1", "true", "yes", "on"),
        retry_base_seconds=_number("OPSGRAPH_WEBHOOK_RETRY_BASE_MS", 30_000) / 1000,
        retry_for_seconds=_number("OPSGRAPH_WEBHOOK_RETRY_FOR_SECONDS", 86_400),
        disable_after_seconds=_number("OPSGRAPH_WEBHOOK_DISABLE_AFTER_SECONDS", 5 * 86_400),
        timeout_seconds=_number("OPSGRAPH_WEBHOOK_TIMEOUT_MS", 10_000) / 1000,
    )
