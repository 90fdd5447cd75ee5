"""Cache hints for the router's response cache (Apollo `@cacheControl` semantics, keyed by
`Type` or `Type.field`). Personal data is PRIVATE: a response holding it is cached only for
the principal who asked, never in an entry shared by everyone with the same permissions."""

CACHE_HINTS: dict[str, dict[str, object]] = {
    "User": {"maxAge": 30},
    "User.email": {"scope": "PRIVATE"},
    "User.phone": {"scope": "PRIVATE"},
    "UserConnection": {"maxAge": 30},
    "UserEdge": {"maxAge": 30},
    "Team": {"maxAge": 30},
    "TeamConnection": {"maxAge": 30},
    "TeamEdge": {"maxAge": 30},
    "PageInfo": {"maxAge": 30},
}
