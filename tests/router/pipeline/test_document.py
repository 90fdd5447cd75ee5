"""The document stage alone: parse, shape limits, validation and its cache; and the check the
router process hands down as data (resolvers.manifests.ApiSchema) agrees with it."""

from __future__ import annotations

import pytest

from resolvers.manifests import ApiSchema, document_problems
from router.composition import Supergraph
from router.limits import OperationLimits, shape_rule
from router.pipeline.document import DocumentCache, validation_rules
from router.pipeline.errors import RequestError
from router.planning import document_hash

LIMITS = OperationLimits(max_depth=3, max_tokens=40, introspection=False, suggestions=False)
VALID = "{ me { name } }"
DEEP = "{ me { reviews { product { name } } } }"


@pytest.fixture
def documents(supergraph: Supergraph) -> DocumentCache:
    return DocumentCache(supergraph.schema, supergraph.version, LIMITS, capacity=10)


def refusal(documents: DocumentCache, query: str) -> RequestError:
    with pytest.raises(RequestError) as refused:
        documents.valid(query, document_hash(query))
    return refused.value


def test_a_valid_document_is_parsed_once(documents: DocumentCache) -> None:
    first = documents.valid(VALID, document_hash(VALID))
    assert documents.holds(document_hash(VALID))
    assert documents.valid(None, document_hash(VALID)) is first
    assert len(documents) == 1


def test_an_invalid_document_is_refused_and_remembered_as_such(documents: DocumentCache) -> None:
    query = "{ me { nme } }"
    assert refusal(documents, query).errors[0]["message"] == (
        "Cannot query field 'nme' on type 'User'."
    )
    assert refusal(documents, query).errors[0]["extensions"]["code"] == (
        "GRAPHQL_VALIDATION_FAILED"
    )
    assert len(documents) == 1


def test_a_document_over_a_shape_limit_is_not_validated(documents: DocumentCache) -> None:
    deep_and_wrong = "{ me { reviews { product { nope } } } }"
    [error] = refusal(documents, deep_and_wrong).errors
    assert error["extensions"]["code"] == "MAX_DEPTH_LIMIT"
    assert error["message"] == "Query depth 4 exceeds the limit of 3"


def test_parsing_stops_at_the_token_cap(documents: DocumentCache) -> None:
    query = "{ " + " ".join(["me { name }"] * 20) + " }"
    assert refusal(documents, query).errors[0]["extensions"]["code"] == "MAX_TOKENS_LIMIT"


def test_a_hash_the_cache_lost_asks_the_client_for_the_text(documents: DocumentCache) -> None:
    with pytest.raises(RequestError) as refused:
        documents.valid(None, document_hash(VALID))
    assert (refused.value.errors[0]["extensions"]["code"], refused.value.status) == (
        "PERSISTED_QUERY_NOT_FOUND",
        404,
    )


def test_problems_says_why_and_caches_nothing(documents: DocumentCache) -> None:
    assert documents.problems(VALID) == []
    assert documents.problems("{ me {") == ["Syntax Error: Expected Name, found <EOF>."]
    assert len(documents) == 0


@pytest.mark.parametrize(
    "query",
    [
        VALID,
        DEEP,
        "{ me { nme } }",
        "{ me {",
        "{ __schema { types { name } } }",
        "{ " + " ".join(["me { name }"] * 20) + " }",
        "query A { me { name } } query A { me { name } }",
    ],
)
def test_the_handed_down_check_agrees_with_the_stage(
    documents: DocumentCache, supergraph: Supergraph, query: str
) -> None:
    api = ApiSchema(
        supergraph.schema,
        LIMITS.max_tokens,
        (shape_rule(LIMITS),),
        validation_rules(LIMITS),
        hide_suggestions=True,
    )
    assert document_problems(api, query) == documents.problems(query)
