"""External tools the deployment tests run: a missing one skips the test on a developer's
machine and fails it in CI (`CI` set), where the project's own files must provide it."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest


def require_tool(name: str, how: str) -> str:
    """The path of `name` (on PATH or beside this Python); `how` says how to get it."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        message = f"{name} is missing ({how})"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: CI must have it")
        pytest.skip(message)
    return found
