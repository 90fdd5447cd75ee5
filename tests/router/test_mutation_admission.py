"""The gateway's `admit_mutation` hook: told a mutation's root fields (aliases, fragments and
all) before anything executes, and able to refuse it with its own error."""

from __future__ import annotations

import pytest

from router.composition import Supergraph
from router.execution import SubgraphRequest, Transport
from router.gateway import Gateway, RequestError
from tests.router.fixture_subgraphs import CountingTransport


def admitting(
    supergraph: Supergraph, transports: dict[str, CountingTransport], seen: list[int]
) -> Gateway:
    async def admit(context: object, root_fields: int) -> None:
        seen.append(root_fields)
        if root_fields > 2:
            raise RequestError.single("RATE_LIMITED", "Too many", 429, headers={"Retry-After": "1"})

    routed: dict[str, Transport] = dict(transports)
    return Gateway(supergraph, routed, admit_mutation=admit)


@pytest.mark.parametrize(
    "document,counted",
    [
        ('mutation { a: createProduct(upc: "1", name: "a") { upc } }', 1),
        (
            'mutation { a: createProduct(upc: "1", name: "a") { upc } '
            'b: createProduct(upc: "2", name: "b") { upc } __typename }',
            2,
        ),
        (
            'mutation { ...M c: renameUser(id: "u1", name: "c") { id } }'
            ' fragment M on Mutation { a: createProduct(upc: "1", name: "a") { upc }'
            ' b: renameUser(id: "u1", name: "b") { id } }',
            3,
        ),
        ("{ __typename }", None),  # queries are not asked about
    ],
)
async def test_root_fields_are_counted_before_execution(
    supergraph: Supergraph,
    transports: dict[str, CountingTransport],
    journal: list[tuple[str, SubgraphRequest]],
    document: str,
    counted: int | None,
) -> None:
    seen: list[int] = []
    result = await admitting(supergraph, transports, seen).execute_request(document, None, None, {})
    assert seen == ([] if counted is None else [counted])
    if counted is not None and counted > 2:
        assert result.status == 429 and result.headers == {"Retry-After": "1"}
        assert result.body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert journal == []  # nothing reached a subgraph
    else:
        assert result.status == 200 and "errors" not in result.body, result.body
