"""Entity fetches find the representations of a path's objects a path at a time, and put
the answers in place a path at a time, when the objects there are all of one entity known
by a one-field string key (router/execution/executor.py ``_uniform``): the answers are the
ones placing the objects one by one gives, key for key and in the same order, errors and
nulls included."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from graphql import GraphQLSchema

from router.composition import KeyField, compose
from router.execution import PlanExecution, SubgraphRequest, SubgraphResponse
from router.execution import executor as executor_module
from router.gateway import Gateway
from router.planning import FetchNode, FlattenNode, RequiredEntity
from tests.router.fixture_subgraphs import SCHEMAS, RequestContext, in_process, sources

QUERIES = [
    # one path, its objects giving their place to the answers
    "{ reviews { body author { name } } }",
    # several paths of one fetch, the same users at each, different fields selected, and
    # a field failing for some (its errors at each object of that user)
    "{ topProducts { name createdBy { name } reviews { body author { name riskScore } } } }",
    # the client selects the key too: the objects are merged, not replaced
    "{ reviews { author { id name } product { upc name } } }",
    # aliases, __typename, one entity at two response keys
    "{ reviews { a: author { n: name } b: author { __typename name } } }",
]


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    return Gateway(
        compose(sources(SCHEMAS)), {name: in_process(schema) for name, schema in SCHEMAS.items()}
    )


@pytest.mark.parametrize("query", QUERIES)
async def test_a_path_at_a_time_answers_as_an_object_at_a_time(
    gateway: Gateway, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    uniform = executor_module._uniform
    taken: list[bool] = []

    def counted(*args: Any) -> Any:
        found = uniform(*args)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(executor_module, "_uniform", counted)
    by_path = await gateway.execute(query, None, None, RequestContext())
    monkeypatch.setattr(executor_module, "_uniform", lambda *args: None)
    by_object = await gateway.execute(query, None, None, RequestContext())

    assert any(taken)
    assert orjson.dumps(by_path) == orjson.dumps(by_object)  # values and key order


class Answering:
    """Answers each representation with its id (None for ids it does not know); records
    what it was sent."""

    def __init__(self, unknown: frozenset[str] = frozenset()) -> None:
        self.sent: list[list[dict[str, Any]]] = []
        self.unknown = unknown

    async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
        assert request.variables is not None
        representations = request.variables["representations"]
        self.sent.append([dict(r) for r in representations])
        return SubgraphResponse(
            {
                "_entities": [
                    None if r["id"] in self.unknown else {"seen": r["id"]} for r in representations
                ]
            }
        )


KEY = (KeyField("id"),)
FETCH = FetchNode(
    "s", "q", None, (), "", (RequiredEntity("User", KEY), RequiredEntity("Team", KEY))
)


async def test_uniform_and_mixed_paths_share_their_representations_in_order() -> None:
    """A uniform path's new entities take the next positions, as the objects of a mixed
    path (two types, a key that is not a string) placed one by one do: one representation
    per entity, in the order the objects come."""
    subgraph = Answering(unknown=frozenset({"3"}))
    execution = PlanExecution(GraphQLSchema(), {"s": subgraph}, {}, None)
    execution.data = {
        "a": [
            {"__typename": "User", "id": "1"},
            {"__typename": "User", "id": "2"},
            {"__typename": "User", "id": "1"},
        ],
        "b": [
            {"__typename": "Team", "id": "1"},
            {"__typename": "User", "id": "2"},
            {"__typename": "User", "id": 7},
        ],
        "c": [{"__typename": "User", "id": "3"}, {"__typename": "User", "id": "1"}],
    }

    await execution.run(FlattenNode((("a", "@"), ("b", "@"), ("c", "@")), FETCH))

    assert subgraph.sent == [
        [
            {"__typename": "User", "id": "1"},
            {"__typename": "User", "id": "2"},
            {"__typename": "Team", "id": "1"},
            {"__typename": "User", "id": 7},
            {"__typename": "User", "id": "3"},
        ]
    ]
    seen = {key: [obj.get("seen") for obj in objects] for key, objects in execution.data.items()}
    assert seen == {"a": ["1", "2", "1"], "b": ["1", "2", 7], "c": [None, "1"]}
