"""The generated artefacts (schema.graphql, schema/*.graphql, schema/subgraphs.toml and
docker-compose.yml, all from the domain registry); stale copies fail here."""

from __future__ import annotations

from opsgraph import artefacts


def test_committed_schema_files_are_current() -> None:
    problems = artefacts.stale()
    assert not problems, (
        "Stale schema files; run `opsgraph schema export` (or `make schema`):\n"
        + "\n".join(problems.values())
    )


def test_composed_schema_has_no_federation_leftovers() -> None:
    api = artefacts.render()[artefacts.Path("schema.graphql")]
    for leftover in ("_entities", "_service", "_Any", "_Entity", "@key", "@link", "join__"):
        assert leftover not in api
    assert "type Incident implements Node {" in api and "type User implements Node {" in api
