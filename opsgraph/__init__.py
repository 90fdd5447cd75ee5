"""OpsGraph application shell: settings, the command line, and the wiring that hands the
subgraphs (as SDL plus an in-process transport) to the router. Domain code lives in
`subgraphs/`, the router in `router/`, database access in `db/`."""
