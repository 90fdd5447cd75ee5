"""OpsGraph federation router: composition, query planning, execution and the ASGI app.

The router knows subgraphs only through their SDL and a transport; it must never import
``subgraphs``, ``resolvers``, ``db`` or ``opsgraph``.
"""
