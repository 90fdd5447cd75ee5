"""Mutation root of the identity subgraph, one module per entity's mutations; each mutation
is one audited unit of work whose service call also writes the change's outbox event."""

import strawberry

from subgraphs.identity.mutations.api_clients import (
    create_api_client,
    register_persisted_operations,
    update_api_client,
)
from subgraphs.identity.mutations.roles import create_role, delete_role, update_role
from subgraphs.identity.mutations.teams import add_team_member, create_team, remove_team_member
from subgraphs.identity.mutations.users import create_user, update_user


@strawberry.type
class Mutation:
    create_user = create_user
    update_user = update_user
    create_team = create_team
    add_team_member = add_team_member
    remove_team_member = remove_team_member
    create_role = create_role
    update_role = update_role
    delete_role = delete_role
    create_api_client = create_api_client
    update_api_client = update_api_client
    register_persisted_operations = register_persisted_operations
