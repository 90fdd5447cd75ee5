"""The gateway's observer seam (router/observer.py): one record per request once answered,
one report per subgraph fetch with its transport's kind; subscriptions pass through."""

from __future__ import annotations

import pytest

from router.composition import Supergraph
from router.execution import SubgraphRequest, SubgraphResponse, Transport
from router.execution.transport import SubscriptionTransport, failure
from router.gateway import Gateway
from router.observer import RequestRecord, observed
from tests.router.fixture_subgraphs import SCHEMAS, in_process

REVIEWS = "query Reviews { reviews { body author { name } product { name } } }"


class Observations:
    """What an observer was told, in order."""

    def __init__(self) -> None:
        self.records: list[RequestRecord] = []
        self.fetches: list[tuple[str, str, bool]] = []

    def request_finished(self, record: RequestRecord) -> None:
        self.records.append(record)

    def subgraph_fetched(self, subgraph: str, transport: str, seconds: float, failed: bool) -> None:
        assert seconds >= 0
        self.fetches.append((subgraph, transport, failed))


class Down:
    """A subgraph that answers every fetch with an error and no data."""

    async def fetch(self, request: SubgraphRequest, context: object) -> SubgraphResponse:
        return failure("down", "SERVICE_UNAVAILABLE")


@pytest.fixture
def observations() -> Observations:
    return Observations()


def observed_gateway(
    supergraph: Supergraph, observations: Observations, **replaced: Transport
) -> Gateway:
    transports: dict[str, Transport] = {
        name: in_process(schema) for name, schema in SCHEMAS.items()
    }
    return Gateway(supergraph, {**transports, **replaced}, observer=observations)


async def test_a_query_is_one_record_and_a_report_per_fetch(
    supergraph: Supergraph, observations: Observations
) -> None:
    gateway = observed_gateway(supergraph, observations)

    body = await gateway.execute(REVIEWS, None, None, object())

    assert "errors" not in body
    [record] = observations.records
    assert (record.operation_name, record.operation_type) == ("Reviews", "query")
    assert (record.executed, record.has_data, record.error_codes) == (True, True, ())
    assert (record.response_cache, record.apq) == (None, None)
    assert sorted(observations.fetches) == [
        ("accounts", "in_process", False),
        ("products", "in_process", False),
        ("reviews", "in_process", False),
    ]


async def test_a_refused_request_is_recorded_with_its_code_and_no_operation(
    supergraph: Supergraph, observations: Observations
) -> None:
    gateway = observed_gateway(supergraph, observations)

    body = await gateway.execute("query Nope { nope }", None, None, object())

    [record] = observations.records
    assert [e["extensions"]["code"] for e in body["errors"]] == list(record.error_codes)
    assert record.error_codes == ("GRAPHQL_VALIDATION_FAILED",)
    assert (record.operation_name, record.operation_type, record.executed) == (None, None, False)
    assert observations.fetches == []


async def test_a_subgraph_without_data_is_a_failed_fetch(
    supergraph: Supergraph, observations: Observations
) -> None:
    gateway = observed_gateway(supergraph, observations, reviews=Down())

    body = await gateway.execute(REVIEWS, None, None, object())

    [record] = observations.records
    assert body["data"] is None
    assert (record.executed, record.has_data) == (True, False)
    assert record.error_codes == ("SERVICE_UNAVAILABLE",)
    assert observations.fetches == [("reviews", "Down", True)]  # nothing to fetch after it


def test_only_transports_that_subscribe_still_do(observations: Observations) -> None:
    assert isinstance(
        observed(in_process(SCHEMAS["reviews"]), "reviews", observations), SubscriptionTransport
    )
    assert not isinstance(observed(Down(), "accounts", observations), SubscriptionTransport)
