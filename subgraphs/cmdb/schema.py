"""The CMDB subgraph's schema. Each root type is merged from the modules that contribute
root fields (CIs and classes here; relationships and impact, discovery in theirs)."""

from strawberry.tools import merge_types

from resolvers.schema import subgraph_schema
from subgraphs.cmdb import graph_queries, mutations, queries, subscriptions
from subgraphs.cmdb.mutations import discovery, relationships

Query = merge_types("Query", (queries.Query, graph_queries.GraphQuery))
Mutation = merge_types(
    "Mutation",
    (mutations.Mutation, relationships.RelationshipMutation, discovery.DiscoveryMutation),
)

Subscription = merge_types("Subscription", (subscriptions.Subscription,))

schema = subgraph_schema(query=Query, mutation=Mutation, subscription=Subscription)
