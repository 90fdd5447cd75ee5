"""Progressive ``@override(from:, label:)``: which labels a supergraph has, and the supergraph
with some of them applied.

Composition keeps a labelled override off: the field stays with the subgraph it would be
taken from, and both subgraphs carry the label in ``@join__field(overrideLabel:)``. Per
request the router decides which labels are on (``percent(N)`` by a random draw, N % of
requests; any other label when the router's configuration enables it) and plans against
:func:`apply_override_labels`, where an enabled override moves the field to its new owner.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import replace

from router.composition.model import Supergraph, TypeMetadata

_PERCENT = re.compile(r"percent\((\d{1,3}(?:\.\d{1,8})?)\)")
_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_\-:./]*")


def valid_override_label(label: str) -> bool:
    """``percent(N)`` with 0 <= N <= 100, or a name (Apollo's rule for ``label:``)."""
    percent = percent_of(label)
    if percent is not None:
        return percent <= 100
    return _NAME.fullmatch(label) is not None


def percent_of(label: str) -> float | None:
    """N of a ``percent(N)`` label, ``None`` for named labels."""
    match = _PERCENT.fullmatch(label)
    return float(match.group(1)) if match else None


def override_labels(supergraph: Supergraph) -> frozenset[str]:
    """Every progressive override label of the supergraph."""
    return frozenset(
        join.override_label
        for meta in supergraph.types.values()
        for field_meta in meta.fields.values()
        for join in field_meta.joins.values()
        if join.override_label
    )


def draw_override_labels(
    labels: Collection[str], configured: Collection[str], draw: Callable[[], float]
) -> frozenset[str]:
    """The labels enabled for one request: ``percent(N)`` when ``draw()`` (uniform in
    [0, 1)) falls below N %, a named label when ``configured`` enables it."""
    enabled: set[str] = set()
    for label in sorted(labels):
        percent = percent_of(label)
        if percent is None:
            if label in configured:
                enabled.add(label)
        elif draw() * 100 < percent:
            enabled.add(label)
    return frozenset(enabled)


def apply_override_labels(supergraph: Supergraph, enabled: frozenset[str]) -> Supergraph:
    """``supergraph`` with the overrides of ``enabled`` labels applied (its version says
    which, so plans and caches of different label sets never mix)."""
    if not enabled:
        return supergraph
    types: dict[str, TypeMetadata] = dict(supergraph.types)
    for type_name, meta in supergraph.types.items():
        fields = dict(meta.fields)
        for field_name, field_meta in meta.fields.items():
            resolvable = set(field_meta.resolvable_in)
            for subgraph, join in field_meta.joins.items():
                if join.override and join.override_label in enabled:
                    resolvable.discard(join.override)
                    resolvable.add(subgraph)
            if resolvable != field_meta.resolvable_in:
                fields[field_name] = replace(field_meta, resolvable_in=frozenset(resolvable))
        if fields != meta.fields:
            types[type_name] = replace(meta, fields=fields)
    version = f"{supergraph.version}+{','.join(sorted(enabled))}"
    return replace(supergraph, types=types, version=version)
