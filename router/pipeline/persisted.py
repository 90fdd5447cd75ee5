"""Stage 1: the document a request names — freeform ``query`` text, an APQ hash
(``extensions.persistedQuery``) or a trusted document id (``documentId``) — with the caller's
safelist enforced (router.persisted does the lookups)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from router.caller import Caller
from router.persisted import PersistedOperations, PersistedQueryError
from router.pipeline.errors import RequestError
from router.planning import document_hash


async def named_document(
    persisted: PersistedOperations | None,
    query: str | None,
    extensions: Mapping[str, Any] | None,
    document_id: str | None,
    context: object,
    caller: Caller | None,
    known: Callable[[str], bool],
) -> tuple[str | None, str]:
    """The document's text and its SHA-256. The text is ``None`` when ``known`` says the
    router already holds the document parsed and validated (nothing fetched then). Without
    ``persisted`` only freeform text is accepted."""
    if query is not None and not isinstance(query, str):
        raise RequestError.single("BAD_REQUEST", "The query must be a string")
    if persisted is None:
        if query is None:
            raise RequestError.single("BAD_REQUEST", "The request has no query")
        return query, document_hash(query)
    try:
        resolved = await persisted.resolve(
            query, extensions, document_id, context, caller, known=known
        )
    except PersistedQueryError as error:
        raise RequestError.single(error.code, error.message, error.status) from error
    return resolved.text, resolved.digest
