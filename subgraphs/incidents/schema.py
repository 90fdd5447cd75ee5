"""The incidents subgraph's schema."""

from resolvers.schema import subgraph_schema
from subgraphs.incidents.mutations import Mutation
from subgraphs.incidents.queries import Query
from subgraphs.incidents.subscriptions import Subscription

schema = subgraph_schema(query=Query, mutation=Mutation, subscription=Subscription)
