"""The incidents subgraph's schema."""

from resolvers.schema import subgraph_schema
from subgraphs.incidents.mutations import Mutation
from subgraphs.incidents.queries import Query

schema = subgraph_schema(query=Query, mutation=Mutation)
