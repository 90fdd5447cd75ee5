"""A differential corpus: small subgraph sets, composed and queried by Apollo and by us."""
