"""`opsgraph router --supergraph FILE`: serve a supergraph SDL another composer wrote.

An operator replacing Apollo's gateway (or Hive's) keeps the supergraph file its composer
produced: the router reads the subgraphs and their routing URLs from its `@join__*`
directives (router/composition/supergraph_reader.py) instead of asking each subgraph for its
SDL, so it starts without the subgraphs being up, and serves exactly what was composed.
"""

from __future__ import annotations

from pathlib import Path

from opsgraph.remote_router import ConfigError, SubgraphConfig
from router.composition import Supergraph
from router.composition.supergraph_reader import read_supergraph


def load_supergraph(path: Path) -> tuple[Supergraph, list[SubgraphConfig]]:
    """The supergraph in `path` and a config per subgraph (its `@join__graph` url, the
    default timeout); ConfigError for an unreadable file or a subgraph without an HTTP url,
    CompositionError (with every issue) for a supergraph this router cannot serve."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from error
    supergraph = read_supergraph(text)
    configs = [SubgraphConfig(name, supergraph.urls.get(name)) for name in supergraph.subgraphs]
    missing = [c.name for c in configs if not (c.url or "").startswith(("http://", "https://"))]
    if missing:
        raise ConfigError(
            f"{path}: subgraph(s) {', '.join(missing)} have no http(s) url in "
            "@join__graph(url: ...); compose with each subgraph's routing URL"
        )
    return supergraph, configs
