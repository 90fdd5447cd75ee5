"""The generated files: `schema/<subgraph>.graphql` (each subgraph's SDL as a gateway sees it),
`schema/supergraph.graphql` (the composed supergraph in the `@link`/`join__` form, routing to
the URLs of `schema/subgraphs.toml`, for Apollo Router, Hive Gateway or Cosmo),
`schema/supergraph.apollo-gateway.graphql` (the same without the authorization directives,
which `@apollo/gateway` refuses to serve), `schema.graphql` (the composed client-facing API,
for codegen), the split deployment's `schema/subgraphs.toml` and `docker-compose.yml`
(opsgraph/deployment.py) and the Kubernetes manifests under `deploy/k8s/`
(opsgraph/k8s_manifests.py), all from the domain registry."""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path

from opsgraph import deployment, k8s_manifests
from opsgraph.domains import REGISTRY
from opsgraph.in_process import subgraph_sdl
from opsgraph.server import build_supergraph
from router.composition import print_api_schema, print_supergraph

ROOT = Path(__file__).resolve().parent.parent


def render() -> dict[Path, str]:
    """Every artefact's path (relative to the repository root) and its current content."""
    files = {
        Path("schema") / f"{domain.name}.graphql": subgraph_sdl(domain.schema).rstrip() + "\n"
        for domain in REGISTRY.domains
    }
    supergraph = build_supergraph({name: deployment.url(REGISTRY, name) for name in REGISTRY.names})
    files[Path("schema.graphql")] = print_api_schema(supergraph).rstrip() + "\n"
    files[Path("schema") / "subgraphs.toml"] = deployment.subgraphs_toml(REGISTRY)
    files[Path("docker-compose.yml")] = deployment.docker_compose(REGISTRY)
    files.update(k8s_manifests.manifests(REGISTRY))
    files[Path("schema") / "supergraph.graphql"] = print_supergraph(supergraph).rstrip() + "\n"
    # @apollo/gateway refuses any `for: SECURITY` feature (@requiresScopes, @authenticated):
    # its variant leaves them out; the subgraphs still check every permission themselves.
    files[Path("schema") / "supergraph.apollo-gateway.graphql"] = (
        print_supergraph(replace(supergraph, access={})).rstrip() + "\n"
    )
    return files


def export(root: Path = ROOT) -> list[Path]:
    """Write the artefacts; returns the ones whose content changed."""
    changed = []
    for path, content in render().items():
        target = root / path
        if not target.exists() or target.read_text() != content:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
            changed.append(path)
    return changed


def stale(root: Path = ROOT) -> dict[Path, str]:
    """Artefacts that differ from what the code generates, each with a unified diff."""
    problems = {}
    for path, content in render().items():
        target = root / path
        current = target.read_text() if target.exists() else ""
        if current != content:
            diff = difflib.unified_diff(
                current.splitlines(),
                content.splitlines(),
                f"{path} (committed)",
                f"{path} (generated)",
                lineterm="",
            )
            problems[path] = "\n".join(diff)
    return problems
