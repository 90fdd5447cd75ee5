"""The persisted stage alone: which document a request names, with in-process stores."""

from __future__ import annotations

import pytest

from router.caller import Caller
from router.persisted import LruDocumentStore, PersistedOperations
from router.pipeline.errors import RequestError
from router.pipeline.persisted import named_document
from router.planning import document_hash

QUERY = "{ me { name } }"
DIGEST = document_hash(QUERY)
APQ = {"persistedQuery": {"version": 1, "sha256Hash": DIGEST}}


def nothing_known(digest: str) -> bool:
    return False


async def test_freeform_text_is_named_by_its_hash_without_persisted_operations() -> None:
    assert await named_document(None, QUERY, None, None, None, None, nothing_known) == (
        QUERY,
        DIGEST,
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [(None, "The request has no query"), (7, "The query must be a string")],
)
async def test_a_request_without_usable_text_is_a_bad_request(query: object, message: str) -> None:
    with pytest.raises(RequestError) as refused:
        await named_document(None, query, None, None, None, None, nothing_known)  # type: ignore[arg-type]
    assert refused.value.errors == [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]


async def test_an_apq_hash_is_unknown_until_sent_with_its_text() -> None:
    persisted = PersistedOperations(LruDocumentStore())
    with pytest.raises(RequestError) as refused:
        await named_document(persisted, None, APQ, None, None, None, nothing_known)
    assert (refused.value.errors[0]["extensions"]["code"], refused.value.status) == (
        "PERSISTED_QUERY_NOT_FOUND",
        404,
    )
    assert await named_document(persisted, QUERY, APQ, None, None, None, nothing_known) == (
        QUERY,
        DIGEST,
    )
    assert await named_document(persisted, None, APQ, None, None, None, nothing_known) == (
        QUERY,
        DIGEST,
    )


async def test_a_document_the_router_holds_is_not_fetched() -> None:
    persisted = PersistedOperations(LruDocumentStore())
    named = await named_document(persisted, None, APQ, None, None, None, lambda digest: True)
    assert named == (None, DIGEST)


async def test_a_safelist_only_caller_may_not_send_freeform_text() -> None:
    persisted = PersistedOperations(LruDocumentStore())
    caller = Caller(tenant="t", audience="a", safelist_only=True)
    with pytest.raises(RequestError) as refused:
        await named_document(persisted, QUERY, None, None, None, caller, nothing_known)
    assert refused.value.errors[0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
