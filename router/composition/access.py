"""``@authenticated``, ``@requiresScopes`` and ``@policy``: who may select a field, or a field
returning a type.

A subgraph declares them on fields, objects, scalars and enums (never on interfaces or their
fields, nor on arguments, as Apollo rules: those are refused); composition keeps
one :class:`AccessRequirement` per coordinate (``Type`` or ``Type.field``), printed into the
supergraph SDL and left out of the API schema. Several subgraphs declaring one coordinate are
AND-ed, as Apollo's composition does: ``@authenticated`` if any says so, and the scopes (and
the policies) merged by DNF conjunction (each alternative of one subgraph combined with each
of the others, then alternatives implied by a smaller one dropped); what only one subgraph
declares is kept as written.

How a caller holds a policy: Apollo leaves that to the router's operator (a coprocessor
decides). This router decides it from the caller's effective permission set, like scopes: a
caller holds the policy ``"incident:triage"`` exactly when that name is one of its
permissions (the permissions its roles grant). A policy is therefore a permission that the
schema asks for by name, and caches keyed by the permission set stay correct for it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from graphql import ConstDirectiveNode, ListValueNode, StringValueNode

# Scopes in disjunctive normal form: the caller needs every scope of at least one alternative.
Scopes = tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class AccessRequirement:
    """What selecting one coordinate needs; ``scopes`` (``policies``) is ``None`` when no
    scopes (policies) are needed."""

    authenticated: bool = False
    scopes: Scopes | None = None
    policies: Scopes | None = None

    def allows(self, authenticated: bool, granted: Collection[str]) -> bool:
        """Whether a caller (authenticated or not, with ``granted`` permissions, which are
        both its scopes and the policies it holds) may select it."""
        if self.authenticated and not authenticated:
            return False
        return self.scopes_allow(granted) and _satisfies(self.policies, granted)

    def scopes_allow(self, granted: Collection[str]) -> bool:
        """Whether ``granted`` meets the scopes (true when none are needed)."""
        return _satisfies(self.scopes, granted)

    def also(self, other: AccessRequirement) -> AccessRequirement:
        """Both requirements at once (the AND of the two)."""
        return AccessRequirement(
            authenticated=self.authenticated or other.authenticated,
            scopes=_conjunction([s for s in (self.scopes, other.scopes) if s is not None]),
            policies=_conjunction([p for p in (self.policies, other.policies) if p is not None]),
        )

    def describe(self) -> str:
        """``incident:create``, ``a and b``, ``(a and b) or c``: for error messages."""
        assert self.scopes is not None
        return describe(self.scopes)


def describe(alternatives: Scopes) -> str:
    """``incident:create``, ``a and b``, ``(a and b) or c``: scopes or policies, for messages."""
    parts = [" and ".join(alternative) for alternative in alternatives]
    if len(parts) == 1:
        return parts[0]
    return " or ".join(f"({part})" if " and " in part else part for part in parts)


def _satisfies(alternatives: Scopes | None, granted: Collection[str]) -> bool:
    return alternatives is None or any(
        all(name in granted for name in alternative) for alternative in alternatives
    )


def dnf_conjunction(values: Sequence[Scopes]) -> Scopes:
    """The AND of several DNF scope lists, normalised exactly as Apollo's composition does
    (so both composers print the same supergraph): alternatives sorted, duplicates and (once
    two lists are combined) alternatives that contain a smaller one removed."""
    if not values:
        return ()
    normalised = list(dict.fromkeys(_sorted(value or ((),)) for value in values))
    result = normalised[0]
    for current in normalised[1:]:
        combined: list[tuple[str, ...]] = []
        for left in result:
            for right in current:
                candidate = tuple(sorted([*left, *(s for s in right if s not in left)]))
                if candidate not in combined:
                    combined.append(candidate)
        result = _without_subsumed(combined)
    return result


def merge_requirements(
    declared: Iterable[Mapping[str, AccessRequirement]],
) -> dict[str, AccessRequirement]:
    """One requirement per coordinate from every subgraph's declarations (AND-ed)."""
    authenticated: dict[str, bool] = {}
    scopes: dict[str, list[Scopes]] = {}
    policies: dict[str, list[Scopes]] = {}
    for requirements in declared:
        for coordinate, requirement in requirements.items():
            authenticated[coordinate] = (
                authenticated.get(coordinate, False) or requirement.authenticated
            )
            if requirement.scopes is not None:
                scopes.setdefault(coordinate, []).append(requirement.scopes)
            if requirement.policies is not None:
                policies.setdefault(coordinate, []).append(requirement.policies)
    return {
        coordinate: AccessRequirement(
            authenticated=authenticated[coordinate],
            scopes=_conjunction(scopes.get(coordinate, [])),
            policies=_conjunction(policies.get(coordinate, [])),
        )
        for coordinate in sorted(authenticated)
    }


def _conjunction(values: list[Scopes]) -> Scopes | None:
    """No scopes, one declaration as written (Apollo merges only what several declare), or
    the DNF conjunction of several."""
    if not values:
        return None
    return values[0] if len(values) == 1 else dnf_conjunction(values)


def read_scopes(directive: ConstDirectiveNode, name: str = "scopes") -> Scopes | None:
    """The ``scopes:`` argument of ``@requiresScopes`` (``policies:`` of ``@policy``) or
    ``None`` when it is not a ``[[String!]!]!``. A single value stands for a list of one, as
    GraphQL's input coercion (and Apollo's composition) reads it: ``"a"`` is ``[["a"]]``."""
    for argument in directive.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        outer = value.values if isinstance(value, ListValueNode) else (value,)
        alternatives: list[tuple[str, ...]] = []
        for alternative in outer:
            inner = alternative.values if isinstance(alternative, ListValueNode) else (alternative,)
            names = tuple(v.value for v in inner if isinstance(v, StringValueNode))
            if len(names) != len(inner):
                return None
            alternatives.append(names)
        return tuple(alternatives)
    return None


def _sorted(value: Scopes) -> Scopes:
    return tuple(sorted((tuple(sorted(a)) for a in value), key=_json))


def _without_subsumed(alternatives: list[tuple[str, ...]]) -> Scopes:
    kept: list[tuple[str, ...]] = []
    for candidate in sorted(alternatives, key=len):
        if not any(set(smaller) <= set(candidate) for smaller in kept):
            kept.append(candidate)
    return tuple(kept)


def _json(alternative: tuple[str, ...]) -> str:
    return json.dumps(list(alternative), separators=(",", ":"))
