"""How a failure spreads over the read part of the graph (subgraphs/cmdb/redundancy.py):
distances, the edge each CI is reached by, cycles, depth, and the k-of-n rule."""

from __future__ import annotations

import uuid

from subgraphs.cmdb.redundancy import Edge, Need, Reached, edges_within, spread

NAMES = "switch web1 web2 web3 cluster shop db app"
CI = {name: uuid.uuid5(uuid.NAMESPACE_DNS, name) for name in NAMES.split()}


def edge(source: str, target: str) -> Edge:
    return Edge(uuid.uuid5(CI[source], target), CI[source], CI[target])


def names(reached: dict[uuid.UUID, Reached]) -> dict[str, int]:
    by_id = {ci: name for name, ci in CI.items()}
    return {by_id[ci]: r.distance for ci, r in reached.items()}


# switch → web1..3 → cluster (needs 2 of 3) → shop; db → app → db (a cycle).
CLUSTER = [
    edge("switch", "web1"),
    edge("switch", "web2"),
    edge("web1", "cluster"),
    edge("web2", "cluster"),
    edge("web3", "cluster"),
    edge("cluster", "shop"),
]
NEEDS = {CI["cluster"]: Need(required=2, providers=3)}


def test_plain_spread_is_breadth_first_with_the_first_edge() -> None:
    reached = spread([CI["switch"]], CLUSTER, depth=20)
    assert names(reached) == {"switch": 0, "web1": 1, "web2": 1, "cluster": 2, "shop": 3}
    assert reached[CI["switch"]].via is None
    assert reached[CI["cluster"]].via == edge("web1", "cluster")


def test_one_member_down_leaves_a_two_of_three_cluster_working() -> None:
    reached = spread([CI["web1"]], CLUSTER, depth=20, needs=NEEDS)
    assert names(reached) == {"web1": 0}


def test_two_members_down_take_the_cluster_and_its_service() -> None:
    reached = spread([CI["web1"], CI["web3"]], CLUSTER, depth=20, needs=NEEDS)
    assert names(reached) == {"web1": 0, "web3": 0, "cluster": 1, "shop": 2}
    assert reached[CI["cluster"]].via == edge("web3", "cluster")  # the one that tipped it


def test_the_tipping_failure_sets_the_distance() -> None:
    reached = spread([CI["switch"]], CLUSTER, depth=20, needs=NEEDS)
    # Both web1 and web2 fail at distance 1: the cluster loses its second member there.
    assert names(reached) == {"switch": 0, "web1": 1, "web2": 1, "cluster": 2, "shop": 3}


def test_ignoring_redundancy_one_member_is_enough() -> None:
    reached = spread([CI["web1"]], CLUSTER, depth=20)
    assert names(reached) == {"web1": 0, "cluster": 1, "shop": 2}


def test_depth_stops_the_spread() -> None:
    assert names(spread([CI["switch"]], CLUSTER, depth=1)) == {"switch": 0, "web1": 1, "web2": 1}
    assert names(spread([CI["switch"]], CLUSTER, depth=0)) == {"switch": 0}


def test_cycles_end() -> None:
    cycle = [edge("db", "app"), edge("app", "db"), edge("app", "shop")]
    reached = spread([CI["db"]], cycle, depth=20)
    assert names(reached) == {"db": 0, "app": 1, "shop": 2}
    assert edges_within(reached, cycle) == [edge("db", "app"), edge("app", "shop")]


def test_edges_within_leave_out_the_unreached_and_the_backward() -> None:
    reached = spread([CI["web1"], CI["web3"]], CLUSTER, depth=20, needs=NEEDS)
    assert edges_within(reached, CLUSTER) == [
        edge("web1", "cluster"),
        edge("web3", "cluster"),
        edge("cluster", "shop"),
    ]
