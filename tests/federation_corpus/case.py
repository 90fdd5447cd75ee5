"""What one corpus case is: subgraphs (SDL plus the data their generic server answers from),
the queries sent through both gateways, and, rarely, a deliberate difference from Apollo.

A subgraph's server is generic (see ``server.py``): every field resolves to the value of the
same name in its parent object (a dict), root fields read ``data["Query"]`` /
``data["Mutation"]``, and ``_entities`` finds each representation's row in
``data["entities"][typename]`` by one of the type's ``@key`` fields (the representation's
fields are merged into the row, so ``@requires`` fields see what the router sent). A type the
subgraph keeps no rows for resolves every representation to itself. Abstract values carry
``"__typename"``. A field computed from other fields (``@requires``, arguments) names a
resolver in ``resolvers["Type.field"]``: ``resolver(parent, **arguments)``. A value (or a
resolver's result) that is an exception is raised: an error at that path.

Queries must be valid against the composed API schema (Apollo's gateway executor does not
validate; both sides are compared on data and error paths). ``python -m
tests.federation_corpus`` counts the cases per feature.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Resolver = Callable[..., Any]


@dataclass(frozen=True)
class Subgraph:
    """One subgraph of a case: its SDL as its author wrote it, and the data it serves."""

    sdl: str
    data: Mapping[str, Any] = field(default_factory=dict)
    resolvers: Mapping[str, Resolver] = field(default_factory=dict)


@dataclass(frozen=True)
class Query:
    """One operation sent through both gateways."""

    query: str
    variables: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """One subgraph set, written from one feature or rule of the Federation specification.

    ``feature`` groups cases in the report (one per bullet of the router issue).
    ``difference``, when set, says why our answer deliberately differs from Apollo's; the
    test then asserts that it still does (so a fixed difference is noticed and removed).
    """

    name: str
    feature: str
    subgraphs: Mapping[str, Subgraph]
    queries: tuple[Query | str, ...] = ()
    difference: str | None = None

    def operations(self) -> tuple[Query, ...]:
        return tuple(q if isinstance(q, Query) else Query(q) for q in self.queries)


def all_cases() -> list[Case]:
    """Every case of every module in ``cases/``, in module then definition order."""
    from tests.federation_corpus import cases as package

    found: list[Case] = []
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        loaded = importlib.import_module(f"{package.__name__}.{module.name}")
        found.extend(loaded.CASES)
    names = [case.name for case in found]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"corpus case names used twice: {duplicated}")
    return found
