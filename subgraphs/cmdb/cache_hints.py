"""Cache hints for the router's response cache (Apollo `@cacheControl` semantics, keyed by
`Type` or `Type.field`). CMDB data changes rarely; entries are invalidated early by the CMDB's
events of the entities they hold."""

CACHE_HINTS: dict[str, dict[str, object]] = {
    "ConfigurationItem": {"maxAge": 60},
    "ConfigurationItemConnection": {"maxAge": 60},
    "ConfigurationItemEdge": {"maxAge": 60},
    "CiClass": {"maxAge": 300},
    "CiAttribute": {"maxAge": 300},
    "CiChange": {"maxAge": 60},
    "CiFieldChange": {"maxAge": 60},
    "PageInfo": {"maxAge": 30},
}
