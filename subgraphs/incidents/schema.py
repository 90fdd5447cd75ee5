"""The incidents subgraph's schema."""

import strawberry

from resolvers.schema import subgraph_schema
from subgraphs.incidents import counts, queries
from subgraphs.incidents.configuration_items import ConfigurationItem
from subgraphs.incidents.mutations import Mutation
from subgraphs.incidents.subscriptions import Subscription


@strawberry.type
class Query(queries.Query):
    # Here, not in queries.py: the counts' module reads queries.py's filter.
    incident_counts = counts.incident_counts


# ConfigurationItem is named only lazily by the types (it needs them), so it is listed here
# to be one of the `_entities` the subgraph resolves.
schema = subgraph_schema(
    query=Query, mutation=Mutation, subscription=Subscription, types=[ConfigurationItem]
)
