"""`opsgraph cmdb import FILE`: a discovery feed's first load from a JSON-lines file.

Each line is one item in `upsertConfigurationItems`' item shape (`externalId`, `className`,
`name`, `attributes`, `relationships: [{type, externalId}]`). The file is read as a stream
and sent in calls of `CHUNK` items to that mutation — through the in-process gateway, so
every check, history entry, event and audit record is the mutation's own; this module knows
no domain. A relationship may name a CI of a later line, which does not exist yet when its
item is sent: such items are sent once more at the end. Progress is reported after each
call; refused items are reported with their line."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

CHUNK = 1000
"""Items per call: the most `upsertConfigurationItems` takes."""

UPSERT = """mutation($input: UpsertConfigurationItemsInput!) {
  upsertConfigurationItems(input: $input) {
    relationshipsAdded
    items { externalId outcome error { code message field } }
  }
}"""

Execute = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
"""Runs UPSERT with these variables as one request; the GraphQL response."""

_ITEM_FIELD = re.compile(r"^items\[\d+\]\.?")


class ImportFailed(Exception):
    """A call was refused as a whole (its message says why); nothing more is sent."""


@dataclass
class Refusal:
    line: int
    external_id: str
    code: str
    message: str


@dataclass
class ImportTotals:
    items: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    relationships_added: int = 0
    refused: list[Refusal] = field(default_factory=list)

    def summary(self) -> str:
        counts = ", ".join(
            f"{self.outcomes.get(outcome, 0)} {outcome.lower()}"
            for outcome in ("CREATED", "UPDATED", "UNCHANGED", "FAILED")
        )
        return f"{self.items} items: {counts}; {self.relationships_added} relationships added"


@dataclass(frozen=True)
class Malformed:
    """A line that is no JSON."""

    reason: str


def read_items(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON, or Malformed) per non-blank line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            yield number, Malformed(f"not JSON: {error.msg}")


async def import_feed(
    execute: Execute,
    source: str,
    lines: Iterable[str],
    progress: Callable[[ImportTotals], None] = lambda totals: None,
) -> ImportTotals:
    """Send every item of `lines` (see the module's docstring); the totals."""
    totals = ImportTotals()
    again: list[tuple[int, Any]] = []
    chunk: list[tuple[int, Any]] = []
    for numbered in read_items(lines):
        if not _well_formed(numbered, totals):
            continue
        chunk.append(numbered)
        if len(chunk) == CHUNK:
            again += await _send(execute, source, chunk, totals, first_time=True)
            progress(totals)
            chunk = []
    if chunk:
        again += await _send(execute, source, chunk, totals, first_time=True)
        progress(totals)
    for start in range(0, len(again), CHUNK):
        await _send(execute, source, again[start : start + CHUNK], totals, first_time=False)
    if again:
        progress(totals)
    totals.refused.sort(key=lambda refusal: refusal.line)
    return totals


def _well_formed(numbered: tuple[int, Any], totals: ImportTotals) -> bool:
    """Whether the line has the item input's shape (a value of a wrong type would fail the
    whole call's variables); a refusal counted otherwise. Anything else wrong with an item
    (its class, its attribute values...), the mutation says."""
    line, item = numbered
    problem = item.reason if isinstance(item, Malformed) else _shape_problem(item)
    if problem is None:
        return True
    totals.items += 1
    totals.outcomes["FAILED"] = totals.outcomes.get("FAILED", 0) + 1
    external_id = item.get("externalId") if isinstance(item, dict) else None
    totals.refused.append(
        Refusal(
            line, external_id if isinstance(external_id, str) else "", "BAD_USER_INPUT", problem
        )
    )
    return False


def _shape_problem(item: Any) -> str | None:
    if not isinstance(item, dict):
        return "an item must be a JSON object"
    unknown = sorted(set(item) - ITEM_KEYS)
    if unknown:
        return f"unknown key {unknown[0]!r}"
    for key in ("externalId", "className", "name"):
        if not isinstance(item.get(key), str):
            return f"{key} must be a string"
    if not isinstance(item.get("attributes", {}), dict | None):
        return "attributes must be an object"
    relationships = item.get("relationships", [])
    if not isinstance(relationships, list) or not all(
        isinstance(r, dict)
        and set(r) == {"type", "externalId"}
        and all(isinstance(v, str) for v in r.values())
        for r in relationships
    ):
        return "relationships must be a list of {type, externalId} strings"
    return None


ITEM_KEYS = frozenset({"externalId", "className", "name", "attributes", "relationships"})


async def _send(
    execute: Execute,
    source: str,
    chunk: list[tuple[int, Any]],
    totals: ImportTotals,
    *,
    first_time: bool,
) -> list[tuple[int, Any]]:
    """One call; the totals updated. On the first sending, returns the items whose CI was
    written but a relationship named a CI not there yet (to send again at the end)."""
    response = await execute({"input": {"source": source, "items": [i for _, i in chunk]}})
    if response.get("errors"):
        error = response["errors"][0]
        code = (error.get("extensions") or {}).get("code", "")
        raise ImportFailed(f"{code}: {error.get('message')}")
    result = response["data"]["upsertConfigurationItems"]
    totals.relationships_added += result["relationshipsAdded"]
    later: list[tuple[int, Any]] = []
    for (line, item), answer in zip(chunk, result["items"], strict=True):
        outcome, error = answer["outcome"], answer["error"]
        if first_time:
            totals.items += 1
            totals.outcomes[outcome] = totals.outcomes.get(outcome, 0) + 1
        if error is None:
            continue
        if first_time and outcome != "FAILED" and error["code"] == "NOT_FOUND":
            later.append((line, item))
            continue
        where = _ITEM_FIELD.sub("", error.get("field") or "")
        message = f"{error['message']} ({where})" if where else error["message"]
        totals.refused.append(Refusal(line, answer["externalId"], error["code"], message))
    return later


def print_progress(stream: TextIO) -> Callable[[ImportTotals], None]:
    """A progress reporter: one line, rewritten in place on a terminal."""
    end = "\r" if stream.isatty() else "\n"

    def report(totals: ImportTotals) -> None:
        stream.write(totals.summary() + end)
        stream.flush()

    return report
