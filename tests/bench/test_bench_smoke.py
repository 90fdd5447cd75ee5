"""The benchmark runs end to end (tiny data set, one-second measurements), so it cannot rot.

It asserts that the bench works and that OpsGraph and the floor serve the same page, never
how fast anything is."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import asyncpg

from bench import dataset
from bench.__main__ import bench_database

ROOT = Path(__file__).resolve().parents[2]


def run_smoke(server_url: str, output: Path, *flags: str) -> str:
    """`python -m bench --smoke FLAGS` on the test PostgreSQL server; returns its stdout."""
    command = [sys.executable, "-m", "bench", "--smoke", "--database-url", server_url]
    completed = subprocess.run(
        [*command, "--output", str(output), *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def test_smoke_run(server_url: str, tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    stdout = run_smoke(server_url, output)
    result = json.loads(output.read_text())
    assert result["same_page_as_floor"] is True
    rows = result["rows"]
    assert {(r["scenario"], r["target"]) for r in rows} == {
        ("page", "opsgraph"),
        ("page", "floor"),
        ("persisted", "opsgraph"),
        ("cached", "opsgraph"),
        ("detail", "opsgraph"),
        ("write", "opsgraph"),
        ("deep", "opsgraph"),
    }
    assert all(r["errors"] == 0 and r["requests_per_s"] > 0 for r in rows)
    # Every target's server CPU per request, sampled over its measurement.
    assert all(r["cpu_ms"] is not None and r["cpu_ms"] > 0 for r in rows)
    # Lock waits sampled for OpsGraph's rows (none of its reads waits on one).
    ours = [r for r in rows if r["target"] == "opsgraph"]
    assert all(r["lock_waits"] is not None and r["lock_waits"] >= 0 for r in ours)
    assert all(r["lock_waits"] == 0 for r in ours if r["scenario"] in ("page", "detail"))
    assert all(r["lock_waits"] is None for r in rows if r["target"] != "opsgraph")
    numbers = result["write_numbers"]
    assert numbers["created"] > 0 and numbers["gapless"] is True
    assert numbers["consumers_behind"] == 0
    assert "numbers gapless: yes, consumers caught up: yes" in stdout
    page = next(r for r in rows if r["scenario"] == "page" and r["target"] == "opsgraph")
    # Constant: the tenant's set_config (first statement of the request's one transaction,
    # for row-level security), the incidents, their comments, then users and teams in one
    # statement (db/merged_reads.py).
    assert page["statements"] == 4
    statements = {r["scenario"]: r["statements"] for r in rows}
    assert statements["persisted"] == 4  # the same work, without sending or parsing the text
    assert statements["cached"] == 0  # served from the response cache
    # set_config · the incident with its comments and history · the users and the teams with
    # the users' teams and the team's members: what is asked of an object named by id is
    # read with it (resolvers/batching.py), the reads of a tick in one statement.
    assert statements["detail"] == 3
    # Compared targets run in turn, three rounds each; a lone target in one.
    compared = [r for r in rows if r["scenario"] == "page"]
    assert all(len(r["rounds"]) == 3 and all(rate > 0 for rate in r["rounds"]) for r in compared)
    assert all(len(r["rounds"]) == 1 for r in rows if r["scenario"] != "page")
    for level in (1, 4):
        ratio = rf"page @{level}: OpsGraph = [\d.]+ × floor \(rounds [\d.]+–[\d.]+\)"
        assert re.search(ratio, stdout)
        assert f"page @{level}, freeform vs persisted vs cached: page " in stdout


def test_subscription_smoke_run(server_url: str, tmp_path: Path) -> None:
    output = tmp_path / "subscriptions.json"
    stdout = run_smoke(server_url, output, "--subscriptions")
    result = json.loads(output.read_text())["subscriptions"]
    # --smoke: 20 subscribers, 5 createIncident per second for 1 s.
    assert (result["subscribers"], result["mutations"], result["mutation_errors"]) == (20, 5, 0)
    assert result["deliveries"] == 20 * 5
    assert (result["lost"], result["duplicates"], result["out_of_order"]) == (0, 0, 0)
    assert result["subscriber_errors"] == 0
    assert result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
    # Each delivery is timed from its mutation's sending and from its response, later.
    assert result["p50_after_response_ms"] <= result["p99_after_response_ms"]
    assert result["p99_after_response_ms"] < result["p99_ms"]
    assert result["rss_after_mb"] > 0
    assert result["server_cpu_ms_per_event"] > 0
    assert "latency commit→delivery, at most (from the mutation's sending): p50" in stdout
    assert "latency commit→delivery, at least (from its response): p50" in stdout
    assert "ms per event (saturates near " in stdout
    # The ramp (--smoke: 5 then 10 events/s) stops only after a rate that lost events.
    ramp = result["ramp"]
    assert [step["rate"] for step in ramp] in ([5.0], [5.0, 10.0])
    assert result["saturation_rate"] in (None, 5.0, 10.0)
    assert "  ramp 5 events/s: p99 " in stdout
    assert "saturated at " in stdout or "not saturated up to 10 events/s" in stdout


def test_router_replay_smoke_run(server_url: str, tmp_path: Path) -> None:
    """The page's entity fetch replayed (--smoke: 2 rounds of 20): it found the page's
    objects and entities, and every round's tree was the real fetch's (or the run fails)."""
    output = tmp_path / "replay.json"
    stdout = run_smoke(server_url, output, "--router-replay")
    result = json.loads(output.read_text())["router_replay"]
    assert result["objects"] >= result["representations"] > 0
    assert len(result["rounds_us"]) == 2 and all(us > 0 for us in result["rounds_us"])
    assert result["best_us"] == min(result["rounds_us"])
    assert "router-side work of the page's entity fetch (" in stdout


def test_cmdb_smoke_run(server_url: str) -> None:
    """`python -m bench.cmdb --smoke`: the blast radius through the router prints its figures,
    the collector's share among them (collections paced as the server paces them); so do
    deleting a CI and filtering CIs by an attribute."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.cmdb", "--smoke", "--database-url", server_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    blast = lines.index(next(line for line in lines if line.startswith("blast radius, router")))
    # Statements constant in the graph's size (the same 5 at 100,000 CIs), and the CPU.
    assert " 5.0 statements " in lines[blast] and " open incidents" in lines[blast]
    assert re.search(r" CPU +\d+\.\d ms ", lines[blast])
    assert re.fullmatch(r" +GC \d+ collections, \d+\.\d ms per request", lines[blast + 1])
    assert any(line.startswith("impact, graph in memory") for line in lines)
    deleted = next(line for line in lines if line.startswith("delete a CI"))
    assert " nothing refers to it" in deleted and " CPU " in deleted
    # Filtered by an attribute: the data set's switches, and a value no CI holds.
    switches = next(line for line in lines if line.startswith("attribute filter (switch)"))
    assert re.search(r" [1-9]\d* CIs: the switches$", switches)
    assert next(line for line in lines if line.startswith("attribute filter (firewall)")).endswith(
        " 0 CIs: none holds it"
    )
    # Filtered by a range of numbers: the servers with 128 CPUs, and none with 256.
    many = next(line for line in lines if line.startswith("attribute range (>= 128)"))
    assert re.search(r" [1-9]\d* CIs: one server in 500$", many), many
    assert next(line for line in lines if line.startswith("attribute range (>= 256)")).endswith(
        " 0 CIs: none has as many"
    )
    # Filtered by class: the rarest, and one with a subclass.
    for class_name in ("StorageDevice", "Server"):
        filtered = next(line for line in lines if line.startswith(f"class filter ({class_name})"))
        assert re.search(r" 4\.0 statements +[1-9]\d* CIs: ", filtered), filtered


async def test_a_reused_data_set_loses_what_a_write_scenario_added(server_url: str) -> None:
    """A run's createIncident adds the newest OPEN incidents: a later run reusing the data
    set must not measure its page on them."""
    url, _ = await asyncio.to_thread(bench_database, argparse.Namespace(database_url=server_url))
    conn = await asyncpg.connect(url)
    try:
        loaded = await dataset.load(conn, scale=0.01, seed=7)
        columns = [
            row["column_name"]
            for row in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                "'incidents' AND table_name = 'incidents' AND is_generated = 'NEVER' "
                "AND column_name NOT IN ('id', 'number')"
            )
        ]
        names = ", ".join(columns)
        written = await conn.fetchval(
            f"INSERT INTO incidents.incidents (id, number, {names}) SELECT gen_random_uuid(), "
            f"$2, {names} FROM incidents.incidents WHERE tenant_id = $1 AND number = 1 "
            "RETURNING id",
            loaded.tenant_id,
            loaded.incidents + 1,
        )
        assert written is not None
        # An earlier server's consumer, at that run's last event (the events go too).
        await conn.execute(
            "INSERT INTO events.consumer_positions (name, domains, last_seq) "
            "VALUES ('bench.earlier', '{incidents}', 99)"
        )
        again = await dataset.load(conn, scale=0.01, seed=7)
        assert again.reused and again.tenant_id == loaded.tenant_id
        count = await conn.fetchval(
            "SELECT count(*) FROM incidents.incidents WHERE tenant_id = $1", loaded.tenant_id
        )
        assert count == loaded.incidents
        last = await conn.fetchval(
            "SELECT last_number FROM incidents.incident_numbers WHERE tenant_id = $1",
            loaded.tenant_id,
        )
        assert last == loaded.incidents
        # With the events gone, `seq` starts again at 1: a position left at 99 would take the
        # next run's events for handled ones.
        assert await conn.fetchval("SELECT count(*) FROM events.consumer_positions") == 0
    finally:
        await conn.close()


async def test_a_data_set_of_another_scale_replaces_the_previous_one(server_url: str) -> None:
    """The rows the previous set's triggers derived go with it: its incidents' search
    tokens (the same seed makes the same first incidents, whose tokens would collide)."""
    url, _ = await asyncio.to_thread(bench_database, argparse.Namespace(database_url=server_url))
    conn = await asyncpg.connect(url)
    try:
        await dataset.load(conn, scale=0.02, seed=7)
        loaded = await dataset.load(conn, scale=0.01, seed=7)
        assert not loaded.reused
        owners = await conn.fetchval(
            "SELECT count(DISTINCT owner_id) FROM incidents.incident_search_tokens"
        )
        assert owners == loaded.incidents
    finally:
        await conn.close()
