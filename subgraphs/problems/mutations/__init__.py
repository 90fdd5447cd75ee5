"""Mutation root of the problems subgraph, one module per mutation (or pair of mutations)."""

import strawberry

from subgraphs.problems.mutations.add_problem_comment import add_problem_comment
from subgraphs.problems.mutations.assign_problem import assign_problem
from subgraphs.problems.mutations.create_problem import (
    create_problem,
    create_problem_from_incidents,
)
from subgraphs.problems.mutations.known_errors import mark_known_error, publish_workaround
from subgraphs.problems.mutations.links import link_incidents, unlink_incident
from subgraphs.problems.mutations.update_problem import update_problem


@strawberry.type
class Mutation:
    create_problem = create_problem
    create_problem_from_incidents = create_problem_from_incidents
    update_problem = update_problem
    assign_problem = assign_problem
    add_problem_comment = add_problem_comment
    mark_known_error = mark_known_error
    publish_workaround = publish_workaround
    link_incidents = link_incidents
    unlink_incident = unlink_incident
