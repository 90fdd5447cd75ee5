"""Cache hints for the router's response cache (Apollo `@cacheControl` semantics, keyed by
`Type` or `Type.field`): how long a response holding these may be reused. Entries are
invalidated early by the problem events of the entities they hold."""

CACHE_HINTS: dict[str, dict[str, object]] = {
    "Problem": {"maxAge": 30},
    "ProblemConnection": {"maxAge": 30},
    "ProblemEdge": {"maxAge": 30},
    "ProblemComment": {"maxAge": 30},
    "ProblemChange": {"maxAge": 30},
    "ProblemFieldChange": {"maxAge": 30},
    "PageInfo": {"maxAge": 30},
}
