"""Errors raised while planning an operation."""

from __future__ import annotations


class PlanningError(Exception):
    """The operation cannot be planned; ``code`` becomes the error's ``extensions.code``."""

    def __init__(self, message: str, code: str = "QUERY_PLANNING_FAILED") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
