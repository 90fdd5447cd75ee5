"""Relay's ``node``/``nodes`` over subgraphs that each own some of ``Node``'s implementations.

Why a rule of its own: an id alone does not say which subgraph owns the entity it names
(OpsGraph's ids are plain UUIDs: globally unique, but typeless; see resolvers/node.py). Each
subgraph owning entities declares ``Query.node(id: ID!): Node`` and
``Query.nodes(ids: [ID!]!): [Node]!`` as ``@shareable`` fields that resolve its own
``Node`` implementations and answer null for any other id. Any one of those subgraphs is a
valid choice for a shareable field as composition sees it (Apollo's planner takes one, and
so would find only that subgraph's entities); only asking all of them finds every entity.
So when such a field is resolvable in more than one subgraph, the planner asks each of them,
in parallel, for the same selection, and the executor keeps, per position, the first non-null
answer (``FetchNode.coalesce``); the fields other subgraphs contribute to the type found are
then fetched through ``_entities`` as for any other entity, once for all (the answers are
merged before they run).

Each subgraph is asked only about the implementations it can refetch: those it resolves by
key. Another domain's stub (``@key(..., resolvable: false)``) implements ``Node`` too, and
must, for Apollo's composition: a shareable field whose subgraphs have no runtime type in
common is refused (``SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES``); with the stubs, all share
``User`` and ``Team``, which only a hint notes. A subgraph never returns a stub from
``node``, so its fragments are left out of that subgraph's fetch (and no entity fetch is
planned for objects it will not return).

The rule applies only to the Relay convention: a query's root field named ``node`` or
``nodes`` returning the interface ``Node`` that several subgraphs resolve. A ``node``
resolved by one subgraph (the ``Node`` entity-interface pattern, with the type in the id)
plans as any other root field.
"""

from __future__ import annotations

from dataclasses import replace

from graphql import GraphQLNonNull, GraphQLString

from router.composition import Supergraph, TypeKind
from router.planning.operation import Field, Fragment, Selection

NODE_FIELDS = frozenset({"node", "nodes"})
NODE_INTERFACE = "Node"


def fanout_subgraphs(supergraph: Supergraph, root_type: str, selected: Field) -> list[str] | None:
    """The subgraphs to ask, in a stable order, when ``selected`` (a field of the query root
    type ``root_type``) is Relay's ``node``/``nodes`` resolved by several; else ``None``."""
    if selected.name not in NODE_FIELDS or selected.type_name != NODE_INTERFACE:
        return None
    interface = supergraph.types.get(NODE_INTERFACE)
    if interface is None or interface.kind is not TypeKind.INTERFACE:
        return None
    meta = supergraph.field(root_type, selected.name)
    if meta is None or len(meta.resolvable_in) < 2:
        return None
    return sorted(meta.resolvable_in)


def refetchable_selections(
    supergraph: Supergraph, subgraph: str, selections: tuple[Selection, ...]
) -> tuple[Selection, ...]:
    """Root ``selections`` (node/nodes fields, in their fragments) with each field reduced to
    what ``subgraph`` can refetch; each occurrence of a field on its own (a field selected
    twice under one response key may select different things each time)."""
    kept: list[Selection] = []
    for selection in selections:
        if isinstance(selection, Fragment):
            inner = refetchable_selections(supergraph, subgraph, selection.selections)
            kept.append(replace(selection, selections=inner))
        else:
            kept.append(refetchable_part(supergraph, subgraph, selection))
    return tuple(kept)


def refetchable_part(supergraph: Supergraph, subgraph: str, selected: Field) -> Field:
    """``selected`` without the fragments on object types ``subgraph`` cannot refetch (it
    does not resolve them by key): what to ask that subgraph."""
    node = supergraph.types[NODE_INTERFACE]
    possible = node.possible_types.get(subgraph, frozenset())
    refetchable = {t for t in possible if supergraph.types[t].resolvable_keys(subgraph)}
    objects = {name for name, meta in supergraph.types.items() if meta.kind is TypeKind.OBJECT}

    def keep(selections: tuple[Selection, ...]) -> tuple[Selection, ...]:
        kept: list[Selection] = []
        for selection in selections:
            if isinstance(selection, Fragment):
                condition = selection.type_condition
                if condition in objects and condition not in refetchable:
                    continue
                selection = replace(selection, selections=keep(selection.selections))
            kept.append(selection)
        return tuple(kept)

    kept = keep(selected.selections)
    # Nothing left this subgraph can answer: it is still asked, for the objects it may find.
    return replace(selected, selections=kept or (_typename(selected.type_name),))


def _typename(parent: str) -> Field:
    return Field(
        response_key="__typename",
        name="__typename",
        alias=None,
        arguments=(),
        directives=(),
        parent_type=parent,
        output_type=GraphQLNonNull(GraphQLString),
        type_name="String",
    )
