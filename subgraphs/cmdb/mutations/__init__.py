"""Mutation root of the CMDB subgraph, one module per mutation."""

import strawberry

from subgraphs.cmdb.mutations.classes import add_ci_attribute, create_ci_class, remove_ci_attribute
from subgraphs.cmdb.mutations.create_configuration_item import create_configuration_item
from subgraphs.cmdb.mutations.delete_configuration_item import delete_configuration_item
from subgraphs.cmdb.mutations.retire_configuration_item import retire_configuration_item
from subgraphs.cmdb.mutations.update_configuration_item import update_configuration_item


@strawberry.type
class Mutation:
    create_configuration_item = create_configuration_item
    update_configuration_item = update_configuration_item
    retire_configuration_item = retire_configuration_item
    delete_configuration_item = delete_configuration_item
    create_ci_class = create_ci_class
    add_ci_attribute = add_ci_attribute
    remove_ci_attribute = remove_ci_attribute
