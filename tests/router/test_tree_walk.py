"""Finding the objects an entity fetch waits for: paths that share a prefix walk it once."""

from __future__ import annotations

from typing import Any

from router.execution.tree import objects_at, objects_in

PATHS = (
    ("incidents", "edges", "@", "node", "assignee"),
    ("incidents", "edges", "@", "node", "team"),
    ("incidents", "edges", "@", "node", "comments", "@", "author"),
    ("incidents", "edges", "@", "node", "comments", "@"),
    ("incidents", "edges", "@", "node"),
    ("incidents",),
    ("other", "@", "@"),
)


def tree() -> dict[str, Any]:
    return {
        "incidents": {
            "edges": [
                {
                    "node": {
                        "assignee": {"id": "u1"},
                        "team": None,
                        "comments": [{"author": {"id": "u2"}}, {"author": None}, None],
                    }
                },
                {"node": None},
                {"node": {"assignee": None, "team": {"id": "t1"}, "comments": []}},
                None,
                {"node": {"assignee": {"id": "u1"}, "comments": [{"author": {"id": "u3"}}]}},
            ]
        },
        "other": [[{"id": "x"}, None, 3], None, [{"id": "y"}]],
    }


def walked(data: dict[str, Any], path: tuple[str, ...], levels: Any = None) -> list[Any]:
    return [(id(obj), id(holder), at) for obj, holder, at in objects_in(data, path, levels)]


def test_paths_walked_with_shared_levels_find_what_each_walk_alone_finds() -> None:
    data = tree()
    levels: dict[tuple[str, ...], list[Any]] = {}
    for path in PATHS:
        assert walked(data, path, levels) == walked(data, path)
    # Every prefix walked was kept, and the later paths started from them.
    assert ("incidents", "edges", "@", "node") in levels
    assert ("incidents", "edges", "@", "node", "comments", "@") in levels


def test_every_object_is_found_where_objects_at_finds_it() -> None:
    data = tree()
    levels: dict[tuple[str, ...], list[Any]] = {}
    for path in PATHS:
        found = [obj for obj, holder, at in objects_in(data, path, levels)]
        assert [id(obj) for obj in found] == [id(obj) for obj, _ in objects_at(data, path)]
        for obj, holder, at in objects_in(data, path, levels):
            assert holder is None or holder[at] is obj


def test_the_objects_at_the_shared_paths_of_a_page() -> None:
    data = tree()
    levels: dict[tuple[str, ...], list[Any]] = {}
    assignees = [obj["id"] for obj, _, _ in objects_in(data, PATHS[0], levels)]
    authors = [obj["id"] for obj, _, _ in objects_in(data, PATHS[2], levels)]
    nested = [obj["id"] for obj, _, _ in objects_in(data, PATHS[6], levels)]
    assert (assignees, authors, nested) == (["u1", "u1"], ["u2", "u3"], ["x", "y"])
