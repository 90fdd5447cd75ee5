"""The event types a webhook may name: every registered domain's, handed over by the registry
when it is built (`Domain.event_catalogue`); this domain imports none of them."""

from __future__ import annotations

from resolvers.domain import EventCatalogue

_catalogue = EventCatalogue(kinds={}, view_permission={})


def learn(catalogue: EventCatalogue) -> None:
    global _catalogue
    _catalogue = catalogue


def current() -> EventCatalogue:
    return _catalogue


def known_kinds() -> frozenset[str]:
    return frozenset(kind for kinds in _catalogue.kinds.values() for kind in kinds)


def view_permission(kind: str) -> str | None:
    """What the webhook's owner must hold for an event of `kind` to be delivered."""
    domain = _catalogue.domain_of(kind)
    return None if domain is None else _catalogue.view_permission.get(domain)
