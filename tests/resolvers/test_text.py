"""NUL characters are found anywhere in variables (strings, keys, any depth), and text that
only looks like an escaped NUL is not one."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from resolvers.text import contains_nul


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("a\x00b", True),
        ({"key\x00": 1}, True),
        ({"a": [{"b": ["c", "d\x00"]}]}, True),
        ("\\\x00", True),  # a backslash, then a NUL
        ({1: "x\x00"}, True),  # not JSON (an int key): walked instead
        ({"id": uuid.UUID(int=0), "s": "\x00"}, True),
        ("\\u0000", False),  # a backslash and the five characters u0000
        ("\\\\u0000", False),
        ({"representations": [{"__typename": "User", "id": "1"}] * 3}, False),
        ({1: "x"}, False),
        (None, False),
    ],
)
def test_nul_is_found_wherever_it_is(value: Any, found: bool) -> None:
    assert contains_nul(value) is found
