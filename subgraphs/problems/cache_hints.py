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
    # A link made or removed is a Problem event: it drops the entries holding the problem.
    "LinkedIncidentConnection": {"maxAge": 30},
    "LinkedIncidentEdge": {"maxAge": 30},
    # An incident's problem is not cached: an answer "none" holds no problem whose events
    # could drop it when the incident is linked.
    "Incident.problem": {"maxAge": 0},
}
# ProblemCandidate has no hint: candidates follow incident events, never cached.
