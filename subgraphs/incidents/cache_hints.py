"""Cache hints for the router's response cache (Apollo `@cacheControl` semantics, keyed by
`Type` or `Type.field`): how long a response holding these may be reused. Entries are
invalidated early by the incident events of the entities they hold."""

CACHE_HINTS: dict[str, dict[str, object]] = {
    "Incident": {"maxAge": 30},
    "IncidentConnection": {"maxAge": 30},
    "IncidentEdge": {"maxAge": 30},
    "IncidentComment": {"maxAge": 30},
    "IncidentChange": {"maxAge": 30},
    "FieldChange": {"maxAge": 30},
    "PageInfo": {"maxAge": 30},
}
