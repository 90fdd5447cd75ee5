"""Without suggestions (production), no error a client gets names what it did not ask for:
not the router's validation, not its variable coercion, not a subgraph's own answer."""

from __future__ import annotations

import pytest

from router.composition import SubgraphSource, compose
from router.execution import Transport
from router.gateway import Gateway, RequestError
from router.limits import OperationLimits
from tests.router.fixture_subgraphs import SCHEMAS, in_process, sources

HIDDEN = OperationLimits(suggestions=False)


def skewed_gateway(limits: OperationLimits) -> Gateway:
    """A router whose schema says accounts has ``Query.mee``: the subgraph (newer, or older)
    does not, and refuses the fetch with its own validation message."""
    skewed = [
        SubgraphSource(s.name, s.sdl.replace("type Query {", "type Query {\n  mee: User!", 1))
        if s.name == "accounts"
        else s
        for s in sources()
    ]
    transports: dict[str, Transport] = {name: in_process(s) for name, s in SCHEMAS.items()}
    return Gateway(compose(skewed), transports, limits=limits)


async def test_subgraph_hints_are_cut() -> None:
    body = await skewed_gateway(HIDDEN).execute("{ mee { id } }", None, None, object())
    [error] = body["errors"]
    assert error["message"] == "Cannot query field 'mee' on type 'Query'."
    assert error["extensions"]["serviceName"] == "accounts"


async def test_subgraph_hints_stay_in_development() -> None:
    body = await skewed_gateway(OperationLimits()).execute("{ mee { id } }", None, None, object())
    assert "Did you mean 'me'?" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{ mee { id } }", "Cannot query field 'mee' on type 'Query'."),
        ("{ me { nme } }", "Cannot query field 'nme' on type 'User'."),
        ("query($v: Strng) { me { id } }", "Unknown type 'Strng'."),
        (
            'mutation { renameUser(id: "u1", nme: "Ada") { id } }',
            "Unknown argument 'nme' on field 'Mutation.renameUser'.",
        ),
    ],
)
def test_router_validation_without_hints(gateway: Gateway, query: str, message: str) -> None:
    hidden = Gateway(gateway.supergraph, gateway.transports, limits=HIDDEN)
    with pytest.raises(RequestError) as refused:
        hidden.prepare(query, None, None)
    assert message in [e["message"] for e in refused.value.errors]
    assert all("Did you mean" not in e["message"] for e in refused.value.errors)
