"""The incidents subgraph's schema."""

from resolvers.schema import subgraph_schema
from subgraphs.incidents.configuration_items import ConfigurationItem
from subgraphs.incidents.mutations import Mutation
from subgraphs.incidents.queries import Query
from subgraphs.incidents.subscriptions import Subscription

# ConfigurationItem is named only lazily by the types (it needs them), so it is listed here
# to be one of the `_entities` the subgraph resolves.
schema = subgraph_schema(
    query=Query, mutation=Mutation, subscription=Subscription, types=[ConfigurationItem]
)
