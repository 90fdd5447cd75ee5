"""The benchmark runs end to end (tiny data set, one-second measurements), so it cannot rot.

It asserts that the bench works and that OpsGraph and the floor serve the same page, never
how fast anything is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_run(server_url: str, tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--smoke",
            "--database-url",
            server_url,
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = json.loads(output.read_text())
    assert result["same_page_as_floor"] is True
    rows = result["rows"]
    assert {(r["scenario"], r["target"]) for r in rows} == {
        ("page", "opsgraph"),
        ("page", "floor"),
        ("detail", "opsgraph"),
        ("write", "opsgraph"),
        ("deep", "opsgraph"),
    }
    assert all(r["errors"] == 0 and r["requests_per_s"] > 0 for r in rows)
    page = next(r for r in rows if r["scenario"] == "page" and r["target"] == "opsgraph")
    # Constant: the tenant's set_config (first statement of the request's one transaction,
    # for row-level security), then one statement per entity kind.
    assert page["statements"] == 5
    assert "OpsGraph / floor" in completed.stdout
