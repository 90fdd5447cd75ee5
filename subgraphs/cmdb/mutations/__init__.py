"""Mutation root of the CMDB subgraph, one module per mutation."""

import strawberry

from subgraphs.cmdb.mutations.create_configuration_item import create_configuration_item


@strawberry.type
class Mutation:
    create_configuration_item = create_configuration_item
