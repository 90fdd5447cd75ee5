"""The compiled executor: a fast execution path for the queries a subgraph runs in-process.

The router sends each subgraph the same few generated documents over and over; graphql-core
re-walks each one per request and runs its per-field machinery (~800 field executions for
an incidents page). :class:`CompiledExecutor` compiles a document once (``compiler``, into
an ``operation``) and runs it (``run``, completing values in ``completion``). It answers
``None`` for whatever it does not cover, and the caller then runs the schema's normal
executor: mutations, subscriptions, directives, introspection, invalid documents and
variables, NUL characters (whose errors the normal path's extensions produce).
"""

from resolvers.executor.compiled_executor import CompiledExecutor

__all__ = ["CompiledExecutor"]
