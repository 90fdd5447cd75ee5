"""The identity subgraph's schema."""

from resolvers.schema import subgraph_schema
from subgraphs.identity.mutations import Mutation
from subgraphs.identity.queries import Query

schema = subgraph_schema(query=Query, mutation=Mutation)
