"""Executor through the gateway: merging, batching, nulls, errors (all in-process)."""

from __future__ import annotations

from router.composition import Supergraph
from router.execution import SubgraphRequest, Transport
from router.gateway import Gateway
from router.planning import document_hash
from tests.router.fixture_subgraphs import (
    BrokenTransport,
    CountingTransport,
    Recorder,
    RequestContext,
)


async def run(gateway: Gateway, query: str, variables: dict | None = None) -> dict:
    return await gateway.execute(query, variables, None, RequestContext())


def entity_calls(transport: CountingTransport) -> list[list[dict]]:
    """The representations of every ``_entities`` request a subgraph received."""
    return [
        request.variables["representations"]
        for request in transport.requests
        if request.variables and "representations" in request.variables
    ]


async def test_result_follows_the_client_shape_and_order(gateway: Gateway) -> None:
    result = await run(
        gateway, "{ reviews { writer: author { email name } body product { price name } } }"
    )

    assert result == {
        "data": {
            "reviews": [
                {
                    "writer": {"email": "ada@example.com", "name": "Ada"},
                    "body": "Clicky",
                    "product": {"price": 120, "name": "Keyboard"},
                },
                {
                    "writer": {"email": "ada@example.com", "name": "Ada"},
                    "body": "Loud",
                    "product": {"price": 120, "name": "Keyboard"},
                },
                {
                    "writer": {"email": "grace@example.com", "name": "Grace"},
                    "body": "Smooth",
                    "product": {"price": 40, "name": "Mouse"},
                },
            ]
        }
    }
    assert list(result["data"]["reviews"][0]) == ["writer", "body", "product"]


async def test_repeated_references_become_one_representation(
    gateway: Gateway, transports: dict[str, CountingTransport], recorder: Recorder
) -> None:
    result = await run(gateway, "{ me { reviews { author { name } } } }")

    assert result == {
        "data": {"me": {"reviews": [{"author": {"name": "Ada"}}, {"author": {"name": "Ada"}}]}}
    }
    assert entity_calls(transports["accounts"]) == [[{"__typename": "User", "id": "u1"}]]
    assert recorder.user_references == ["u1"]


async def test_one_entities_call_per_step_in_first_seen_order(
    gateway: Gateway, transports: dict[str, CountingTransport], recorder: Recorder
) -> None:
    await run(gateway, "{ reviews { author { name } } }")

    assert entity_calls(transports["accounts"]) == [
        [{"__typename": "User", "id": "u1"}, {"__typename": "User", "id": "u2"}]
    ]
    assert recorder.user_references == ["u1", "u2"]


async def test_nested_chain_merges_back_into_every_level(gateway: Gateway) -> None:
    result = await run(gateway, "{ me { name reviews { body author { email } } } }")

    assert result == {
        "data": {
            "me": {
                "name": "Ada",
                "reviews": [
                    {"body": "Clicky", "author": {"email": "ada@example.com"}},
                    {"body": "Loud", "author": {"email": "ada@example.com"}},
                ],
            }
        }
    }


async def test_unions_merge_per_concrete_type(
    gateway: Gateway, transports: dict[str, CountingTransport]
) -> None:
    result = await run(
        gateway,
        "{ feed { __typename ... on Review { body } ... on Product { name createdBy { name } } } }",
    )

    assert result == {
        "data": {
            "feed": [
                {"__typename": "Review", "body": "Clicky"},
                {"__typename": "Product", "name": "Mouse", "createdBy": {"name": "Grace"}},
            ]
        }
    }
    assert entity_calls(transports["products"]) == [[{"__typename": "Product", "upc": "p2"}]]


async def test_skip_and_include_follow_the_variables(
    gateway: Gateway, transports: dict[str, CountingTransport]
) -> None:
    query = """
      query ($withReviews: Boolean!, $noPrice: Boolean!) {
        topProducts(first: 1) {
          name price @skip(if: $noPrice) ... @include(if: $withReviews) { reviews { rating } }
        }
      }
    """

    included = await run(gateway, query, {"withReviews": True, "noPrice": False})
    skipped = await run(gateway, query, {"withReviews": False, "noPrice": True})

    assert included == {
        "data": {
            "topProducts": [
                {"name": "Keyboard", "price": 120, "reviews": [{"rating": 5}, {"rating": 2}]}
            ]
        }
    }
    assert skipped == {"data": {"topProducts": [{"name": "Keyboard"}]}}


async def test_null_from_missing_entity_propagates_to_nullable_parent(gateway: Gateway) -> None:
    result = await run(gateway, '{ review(id: "r-ghost") { body author { name } } }')

    assert result == {
        "errors": [
            {
                "message": "Cannot return null for non-nullable field User.name.",
                "path": ["review", "author", "name"],
                "extensions": {"code": "DOWNSTREAM_SERVICE_ERROR"},
            }
        ],
        "data": {"review": None},
    }


async def test_subgraph_error_is_repathed_with_service_name(gateway: Gateway) -> None:
    result = await run(gateway, "{ me { reviews { body author { riskScore } } } }")

    assert result["data"] == {
        "me": {
            "reviews": [
                {"body": "Clicky", "author": {"riskScore": None}},
                {"body": "Loud", "author": {"riskScore": None}},
            ]
        }
    }
    assert result["errors"] == [
        {
            "message": "scoring service down",
            "path": ["me", "reviews", index, "author", "riskScore"],
            "extensions": {"code": "DOWNSTREAM_SERVICE_ERROR", "serviceName": "accounts"},
        }
        for index in (0, 1)
    ]


async def test_broken_subgraph_gives_partial_data(
    supergraph: Supergraph, transports: dict[str, CountingTransport]
) -> None:
    routed: dict[str, Transport] = {**transports, "accounts": BrokenTransport()}
    gateway = Gateway(supergraph, routed)

    result = await run(
        gateway,
        '{ viewerToken topProducts(first: 1) { name } review(id: "r1") { body author { name } } }',
    )

    assert result["data"] == {
        "viewerToken": None,
        "topProducts": [{"name": "Keyboard"}],
        "review": None,
    }
    assert result["errors"] == [
        {
            "message": "Subgraph request failed",
            "path": path,
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "serviceName": "accounts"},
        }
        for path in (["viewerToken"], ["review", "author"])
    ]


async def test_mutations_reach_subgraphs_in_document_order(
    gateway: Gateway, journal: list[tuple[str, SubgraphRequest]]
) -> None:
    result = await run(
        gateway,
        """mutation {
          a: renameUser(id: "u1", name: "A") { name }
          addReview(body: "Nice", upc: "p1") { body }
          b: renameUser(id: "u2", name: "B") { name }
        }""",
    )

    assert result == {
        "data": {"a": {"name": "A"}, "addReview": {"body": "Nice"}, "b": {"name": "B"}}
    }
    assert [(name, request.query) for name, request in journal] == [
        ("accounts", 'mutation { a: renameUser(id: "u1", name: "A") { name } }'),
        ("reviews", 'mutation { addReview(body: "Nice", upc: "p1") { body } }'),
        ("accounts", 'mutation { b: renameUser(id: "u2", name: "B") { name } }'),
    ]


async def test_introspection_sees_the_api_schema_only(gateway: Gateway) -> None:
    result = await run(
        gateway,
        '{ __schema { queryType { name } } user: __type(name: "User") { fields { name } } '
        '__typename any: __type(name: "_Any") { name } }',
    )

    assert result == {
        "data": {
            "__schema": {"queryType": {"name": "Query"}},
            "user": {
                "fields": [
                    {"name": "id"},
                    {"name": "name"},
                    {"name": "email"},
                    {"name": "riskScore"},
                    {"name": "reviews"},
                ]
            },
            "__typename": "Query",
            "any": None,
        }
    }


async def test_plans_and_documents_are_cached(gateway: Gateway, supergraph: Supergraph) -> None:
    query = "query One { me { name } }"
    key = (document_hash(query), "One", supergraph.version, ())
    await gateway.execute(query, None, "One", RequestContext())
    first_plan = gateway.plans.get(key)

    await gateway.execute(query, None, "One", RequestContext())

    assert first_plan is not None
    assert gateway.plans.get(key) is first_plan
    assert (len(gateway.plans), len(gateway.documents)) == (1, 1)
