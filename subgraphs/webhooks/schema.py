"""The webhooks subgraph's schema."""

from resolvers.schema import subgraph_schema
from subgraphs.webhooks.mutations import Mutation
from subgraphs.webhooks.queries import Query

schema = subgraph_schema(query=Query, mutation=Mutation)
