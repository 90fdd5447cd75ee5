"""The problems subgraph's schema."""

from resolvers.schema import subgraph_schema
from subgraphs.problems.incidents import Incident
from subgraphs.problems.mutations import Mutation
from subgraphs.problems.queries import Query
from subgraphs.problems.subscriptions import Subscription

# Incident is named only lazily by the types (it needs them), so it is listed here to be one
# of the `_entities` the subgraph resolves.
schema = subgraph_schema(
    query=Query, mutation=Mutation, subscription=Subscription, types=[Incident]
)
