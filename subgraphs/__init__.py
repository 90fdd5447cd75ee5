"""ITSM domains, each a sealed Federation 2 subgraph. A subgraph never imports another one:
it refers to another domain's entities through stub types carrying only their `@key`."""
