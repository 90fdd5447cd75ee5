"""Running a subscription plan: the root fetch is a stream, the rest runs once per event.

A subscription has one root field, so its plan starts with one fetch from the subgraph that
owns it; each event that subgraph sends is the root data of a fresh plan execution, whose
entity fetches (fields owned by other subgraphs) run with the same planner output and the
same batching as a query's."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from graphql import GraphQLSchema

from router.execution.executor import PlanExecution
from router.execution.transport import SubscriptionTransport, Transport, failure
from router.planning import FetchNode, PlanNode, SequenceNode


def split_subscription_plan(node: PlanNode) -> tuple[FetchNode, tuple[PlanNode, ...]]:
    """The plan's root fetch, and what runs after it for every event."""
    if isinstance(node, FetchNode):
        return node, ()
    if isinstance(node, SequenceNode) and node.nodes and isinstance(node.nodes[0], FetchNode):
        return node.nodes[0], tuple(node.nodes[1:])
    raise ValueError("A subscription plan starts with the fetch of its root field")


async def subscription_executions(
    schema: GraphQLSchema,
    transports: Mapping[str, Transport],
    node: PlanNode | None,
    variables: Mapping[str, Any],
    context: object,
) -> AsyncIterator[PlanExecution]:
    """One finished plan execution per event of the root subgraph's subscription."""
    first = PlanExecution(schema, transports, variables, context)
    if node is None:  # the router pruned the root field: the refusal is the only event
        yield first
        return
    root, rest = split_subscription_plan(node)
    transport = transports[root.subgraph]
    if not isinstance(transport, SubscriptionTransport):
        first.merge_root(root, failure(f"Subgraph {root.subgraph} cannot serve subscriptions"))
        yield first
        return
    execution = first
    async for response in transport.subscribe(execution.root_request(root), context):
        execution.merge_root(root, response)
        if response.data:
            for step in rest:
                await execution.run(step)
        yield execution
        execution = PlanExecution(schema, transports, variables, context)
