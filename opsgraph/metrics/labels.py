"""Bounded label values: what clients name (operations) or subgraphs send (error codes)
never grows the number of series without limit.

A value gets a series of its own if it has the expected shape and is among the first
``limit`` distinct values this process saw; every other value shares ``overflow``. In
multi-process mode each process admits its own first ``limit`` values."""

from __future__ import annotations

import re

# A GraphQL name, at most 64 characters: an executed operation's name always is one.
OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
# The codes OpsGraph and Apollo use: BAD_USER_INPUT, PERSISTED_QUERY_NOT_FOUND, ...
ERROR_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")

MAX_OPERATIONS = 200
MAX_ERROR_CODES = 50
ANONYMOUS = "anonymous"  # an operation without a name
UNKNOWN = "unknown"  # the request failed before an operation was selected
OTHER_OPERATION = "other"
OTHER_CODE = "OTHER"
NO_CODE = "NONE"


class BoundedLabel:
    """Maps raw values to at most ``limit`` distinct label values plus ``overflow``."""

    def __init__(self, limit: int, pattern: re.Pattern[str], overflow: str) -> None:
        self.limit = limit
        self.pattern = pattern
        self.overflow = overflow
        self.admitted: set[str] = set()

    def __call__(self, value: str) -> str:
        admitted = self.admitted
        if value in admitted:
            return value
        if len(admitted) >= self.limit or not self.pattern.fullmatch(value):
            return self.overflow
        admitted.add(value)
        return value


class OperationLabels:
    """The ``operation`` label of a request: its name, ``anonymous``, ``unknown`` or
    ``other`` once ``limit`` names have their own series."""

    def __init__(self, limit: int = MAX_OPERATIONS) -> None:
        self.names = BoundedLabel(limit, OPERATION_NAME, OTHER_OPERATION)

    def __call__(self, name: str | None, selected: bool) -> str:
        if not selected:
            return UNKNOWN
        if not name:
            return ANONYMOUS
        return self.names(name)


class CodeLabels:
    """The ``code`` label of an error: its ``extensions.code``, ``NONE`` without one, or
    ``OTHER`` for a code of an unexpected shape or beyond ``limit`` distinct ones."""

    def __init__(self, limit: int = MAX_ERROR_CODES) -> None:
        self.codes = BoundedLabel(limit, ERROR_CODE, OTHER_CODE)

    def __call__(self, code: str | None) -> str:
        return NO_CODE if code is None else self.codes(code)
