"""Whether entities exist, asked of the subgraph that resolves them.

A domain that stores another domain's ids (an incident's assignee, a comment's author) must
not store an id that names nothing in the caller's tenant. It cannot read the other domain's
tables; it asks through the router's entity fetch instead: one ``_entities`` call, for every
id of one type at once, to a subgraph that defines the type (not one that only extends it)
and resolves it by its ``id`` key, with the request's own context — so the answer comes from
behind that subgraph's tenant walls and permissions, exactly as a read of the entity would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from router.composition import Supergraph
from router.execution import Transport
from router.execution.transport import SubgraphRequest

QUERY = (
    "query EntityPresence($representations: [_Any!]!) "
    "{ _entities(representations: $representations) { __typename } }"
)


@dataclass(frozen=True, slots=True)
class Presence:
    """Per id, whether it names an entity; ``exists`` is ``None`` when the owner could not
    answer, and ``errors`` say why (as GraphQL JSON errors, with their codes)."""

    exists: list[bool] | None
    errors: list[dict[str, Any]] = field(default_factory=list)


class EntityPresence:
    """Existence checks for the entities of one supergraph, through its transports."""

    def __init__(self, supergraph: Supergraph, transports: Mapping[str, Transport]) -> None:
        self.owners: dict[str, str] = {}
        for name, meta in supergraph.types.items():
            # A subgraph that only extends the type (adding fields to another domain's
            # entity) resolves any id it is given: only one defining the type can answer.
            for subgraph in supergraph.subgraphs:
                if subgraph not in meta.extension_in and any(
                    key.fields.strip() == "id" for key in meta.resolvable_keys(subgraph)
                ):
                    self.owners[name] = subgraph
                    break
        self.transports = transports

    async def __call__(self, type_name: str, ids: Sequence[str], context: object) -> Presence:
        owner = self.owners.get(type_name)
        if owner is None:
            message = f"No subgraph resolves {type_name} by id"
            return Presence(None, [{"message": message, "extensions": {"code": "BAD_REQUEST"}}])
        if not ids:
            return Presence([])
        representations = [{"__typename": type_name, "id": id} for id in ids]
        request = SubgraphRequest(
            QUERY, {"representations": representations}, "EntityPresence", "representations"
        )
        response = await self.transports[owner].fetch(request, context)
        answers = (response.data or {}).get("_entities")
        if response.errors or not isinstance(answers, list) or len(answers) != len(ids):
            return Presence(None, response.errors or [{"message": f"{owner} did not answer"}])
        return Presence([answer is not None for answer in answers])
