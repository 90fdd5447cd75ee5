"""Text PostgreSQL cannot store: NUL characters.

PostgreSQL rejects U+0000 in text, so a NUL anywhere in an operation's variables or string
literals is refused up front as BAD_USER_INPUT, for every field of every subgraph, rather
than failing inside a query as an internal error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson
from graphql import DocumentNode, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from resolvers.errors import BadUserInput

NUL = "\x00"


# A NUL in JSON text: ``\u0000`` after an even number of backslashes (``\\u0000`` is a
# backslash followed by the six characters ``u0000``, no NUL).
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def contains_nul(value: Any) -> bool:
    """Whether a NUL is in any string (or key) of ``value``: searched in its JSON text, one
    C pass over a page's worth of representations, where JSON can hold ``value``."""
    try:
        text = orjson.dumps(value)
    except TypeError:
        return _walk_for_nul(value)
    # The plain search first (a few µs); the exact pattern only where it found something.
    return b"\\u0000" in text and _ESCAPED_NUL.search(text) is not None


def _walk_for_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_walk_for_nul(v) or _walk_for_nul(k) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_walk_for_nul(v) for v in value)
    return False


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        self.found = self.found or NUL in node.value


def literals_contain_nul(document: DocumentNode) -> bool:
    visitor = _Literals()
    visit(document, visitor)
    return visitor.found


class RejectNulCharacters(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if contains_nul(context.variables) or (
            document is not None and literals_contain_nul(document)
        ):
            raise BadUserInput("Text must not contain NUL (U+0000) characters")
        yield
