"""The toolkit every subgraph's resolvers share: the per-request context, the loader base and
registry, Relay-style keyset pagination, id parsing, the error types with their
`extensions.code`, and the factory that builds a subgraph schema with our extensions.

Knows no domain: it never imports `subgraphs`, nor `router`."""
