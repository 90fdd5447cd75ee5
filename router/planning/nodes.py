"""The query plan: a tree of small frozen dataclasses, readable through ``format_plan``."""

from __future__ import annotations

from dataclasses import dataclass

from router.composition import KeyField
from router.planning.operation import NormalizedOperation


@dataclass(frozen=True, slots=True)
class RequiredEntity:
    """One entity type a dependent fetch needs representations of, and what to send.

    A representation is skipped when a ``key`` field is missing or null (there is no entity
    to fetch); ``required`` fields (``@requires``) are sent as they are, nulls included, and
    the representation is skipped when one is missing (the fetch bringing it failed).
    """

    type_name: str
    key: tuple[KeyField, ...]
    required: tuple[KeyField, ...] = ()
    # An interface fetched by its key (from an ``@interfaceObject``, or from the subgraph
    # owning the entity interface): the ``__typename``s found in the response that stand for
    # it; representations are sent with ``type_name``. Empty: ``type_name`` alone.
    typenames: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class FetchNode:
    """One request to one subgraph.

    ``requires`` is ``None`` for a root fetch; for an ``_entities`` fetch it lists the entity
    types (and keys) whose representations are collected at the enclosing Flatten path.
    """

    subgraph: str
    operation: str
    operation_name: str | None
    variable_usages: tuple[str, ...]
    selection: str  # the fetched selection in compact form, for format_plan and logs
    requires: tuple[RequiredEntity, ...] | None = None
    representations_variable: str = "representations"
    # Root fetches: the client response keys they fill (errors without a path land there).
    response_keys: tuple[str, ...] = ()
    # A root fetch that is one of several asked the same fields (Relay's node/nodes, see
    # router/planning/node_fanout.py): its answer fills only what is still null, position by
    # position, and an error another of them reported already is not repeated.
    coalesce: bool = False


@dataclass(frozen=True, slots=True)
class IntrospectionNode:
    """Introspection root fields (``__schema``/``__type``), answered by the router itself."""

    operation: str
    selection: str


@dataclass(frozen=True, slots=True)
class FlattenNode:
    """Run ``node`` once for every object found at any of ``paths`` (``@``: list elements).

    Several paths appear when sibling fetches to one subgraph were merged into one call;
    ``selected`` then gives, per path, the response keys asked for there, so that an error on
    an entity field is reported only where the client selected that field.
    """

    paths: tuple[tuple[str, ...], ...]
    node: FetchNode
    selected: tuple[frozenset[str], ...] = ()


@dataclass(frozen=True, slots=True)
class SequenceNode:
    """Children run one after the other (later ones read what earlier ones fetched)."""

    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True, slots=True)
class ParallelNode:
    """Children are independent and run concurrently."""

    nodes: tuple[PlanNode, ...]


PlanNode = FetchNode | FlattenNode | SequenceNode | ParallelNode | IntrospectionNode


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """A plan plus the normalised client operation the response is shaped from."""

    operation: NormalizedOperation
    node: PlanNode | None

    @property
    def subgraphs(self) -> frozenset[str]:
        """Every subgraph a fetch of this plan calls."""
        return _subgraphs(self.node)


def _subgraphs(node: PlanNode | None) -> frozenset[str]:
    if isinstance(node, FetchNode):
        return frozenset({node.subgraph})
    if isinstance(node, FlattenNode):
        return frozenset({node.node.subgraph})
    if isinstance(node, SequenceNode | ParallelNode):
        return frozenset().union(*(_subgraphs(child) for child in node.nodes))
    return frozenset()
