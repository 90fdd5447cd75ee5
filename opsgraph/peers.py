"""A subgraph served alone checks references through its peers, as the router would.

`opsgraph subgraph incidents --peers schema/subgraphs.toml` reads the split router's file:
on the first reference check it fetches the other subgraphs' SDL, composes them with its own
and asks the owning peer's `_entities` over HTTP, forwarding the caller's credentials — the
same entity fetch the router makes in-process (router/references.py). Without `--peers`, a
subgraph served alone cannot check references and refuses writes that carry them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import httpx
import strawberry

from opsgraph.in_process import in_process_executor, subgraph_sdl
from opsgraph.remote_router import ConfigError, SubgraphConfig, fetch_sdl
from router.composition import CompositionError, SubgraphSource, compose
from router.execution import HttpTransport, InProcessTransport, Transport
from router.references import EntityPresence, Presence

logger = logging.getLogger(__name__)


class PeerPresence:
    """`EntityPresence` over the peers of a subgraph served alone, composed on first use (the
    peers may start after it) and again after a failure."""

    def __init__(
        self,
        name: str,
        schema: strawberry.federation.Schema,
        peers: Sequence[SubgraphConfig],
        client: httpx.AsyncClient,
    ) -> None:
        self.name = name
        self.schema = schema
        self.peers = [peer for peer in peers if peer.name != name and peer.url is not None]
        self.client = client
        self._presence: EntityPresence | None = None
        self._lock = asyncio.Lock()

    async def __call__(self, type_name: str, ids: Sequence[str], context: object) -> Presence:
        presence = self._presence or await self._compose()
        if presence is None:
            message = "The subgraphs that own these references cannot be reached"
            error = {"message": message, "extensions": {"code": "SERVICE_UNAVAILABLE"}}
            return Presence(None, [error])
        return await presence(type_name, ids, context)

    async def close(self) -> None:
        await self.client.aclose()

    async def _compose(self) -> EntityPresence | None:
        async with self._lock:
            if self._presence is not None:
                return self._presence
            try:
                sdls = await asyncio.gather(*(fetch_sdl(self.client, p) for p in self.peers))
                supergraph = compose(
                    [
                        SubgraphSource(self.name, subgraph_sdl(self.schema)),
                        *(
                            SubgraphSource(peer.name, sdl, peer.url)
                            for peer, sdl in zip(self.peers, sdls, strict=True)
                        ),
                    ]
                )
            except (ConfigError, CompositionError) as error:
                logger.warning("reference checks unavailable: %s", error)
                return None
            transports: dict[str, Transport] = {
                self.name: InProcessTransport(in_process_executor(self.schema)),
            }
            for peer in self.peers:
                assert peer.url is not None
                transports[peer.name] = HttpTransport(peer.url, peer.timeout_s, self.client)
            self._presence = EntityPresence(supergraph, transports)
            return self._presence
