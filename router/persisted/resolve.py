"""From a request's ``query`` / ``extensions.persistedQuery`` / ``documentId`` to the document
to run, enforcing each client's safelist.

- APQ: a hash with no text answers ``PERSISTED_QUERY_NOT_FOUND`` unless stored, so the client
  retries with hash and text; the text is stored when its SHA-256 matches the hash, and a
  mismatch is ``BAD_USER_INPUT``.
- Trusted documents: an id (``documentId``, or the APQ hash) names a document registered for
  the caller's client. A safelist-only caller may run nothing else
  (``PERSISTED_QUERY_NOT_IN_LIST``), not even freeform text equal to a registered document
  unless ``allow_matching_text`` is on. A caller is safelist-only when its client's record
  says so, when its credentials say so (``Caller.safelist_only``), or for everyone when
  ``persisted_only`` is on (production mode: no freeform text, no APQ registration).
- Everyone else keeps freeform access.

A document the gateway already parsed and validated (``known``) is not fetched again:
a persisted id then skips the store, parsing and validation entirely.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from router.caller import Caller
from router.persisted.documents import DocumentStore
from router.persisted.trusted import TrustedDocument, TrustedDocuments
from router.planning.cache import document_hash

SHA256 = re.compile(r"[0-9a-f]{64}")
APQ_VERSION = 1


class PersistedQueryError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def not_found() -> PersistedQueryError:
    # Apollo Client and urql retry with the text on this message/code.
    return PersistedQueryError("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound", 404)


def not_in_list(what: str) -> PersistedQueryError:
    return PersistedQueryError(
        "PERSISTED_QUERY_NOT_IN_LIST",
        f"{what} is not a registered operation of this client; it may run only those",
    )


@dataclass(frozen=True, slots=True)
class ResolvedDocument:
    """``text`` is ``None`` when the gateway already holds the document ``digest`` names."""

    text: str | None
    digest: str


class PersistedOperations:
    def __init__(
        self,
        apq: DocumentStore | None,
        trusted: TrustedDocuments | None = None,
        *,
        allow_matching_text: bool = False,
        persisted_only: bool = False,
    ) -> None:
        self.apq = apq
        self.trusted = trusted
        self.allow_matching_text = allow_matching_text
        self.persisted_only = persisted_only

    async def resolve(
        self,
        query: str | None,
        extensions: Mapping[str, Any] | None,
        document_id: str | None,
        context: object,
        caller: Caller | None,
        known: Callable[[str], bool],
    ) -> ResolvedDocument:
        apq_hash = _apq_hash(extensions)
        if document_id is not None and (not isinstance(document_id, str) or not document_id):
            raise PersistedQueryError("BAD_USER_INPUT", "documentId must be a non-empty string")
        wanted = document_id or apq_hash
        if await self._safelist_only(context, caller):
            return await self._safelisted(query, wanted, context, caller)
        if wanted is not None:
            found = await self._find(context, caller, document_id=wanted)
            if found is not None:
                return _checked(query, found)
        if document_id is not None:
            raise not_found()
        if apq_hash is not None:
            return await self._apq(query, apq_hash, known)
        if query is None:
            raise PersistedQueryError("BAD_REQUEST", "The request has no query")
        return ResolvedDocument(query, document_hash(query))

    async def _safelist_only(self, context: object, caller: Caller | None) -> bool:
        if self.persisted_only or (caller is not None and caller.safelist_only):
            return True
        if self.trusted is None or caller is None or not caller.client_id:
            return False
        return (await self.trusted.policy(context, caller)).safelist_only

    async def _find(
        self,
        context: object,
        caller: Caller | None,
        *,
        document_id: str | None = None,
        sha256: str | None = None,
    ) -> TrustedDocument | None:
        if self.trusted is None or caller is None or not caller.client_id:
            return None  # no client: no registered documents
        return await self.trusted.find(context, caller, document_id=document_id, sha256=sha256)

    async def _safelisted(
        self, query: str | None, wanted: str | None, context: object, caller: Caller | None
    ) -> ResolvedDocument:
        if wanted is not None:
            found = await self._find(context, caller, document_id=wanted)
            if found is None:
                raise not_in_list(f"Document {wanted[:80]!r}")
            return _checked(query, found)
        if query is None:
            raise PersistedQueryError("BAD_REQUEST", "The request has no query")
        if self.allow_matching_text:
            found = await self._find(context, caller, sha256=document_hash(query))
            if found is not None:
                return ResolvedDocument(found.body, found.sha256)
        raise not_in_list("Freeform query text")

    async def _apq(
        self, query: str | None, apq_hash: str, known: Callable[[str], bool]
    ) -> ResolvedDocument:
        if query is not None:
            if document_hash(query) != apq_hash:
                raise PersistedQueryError(
                    "BAD_USER_INPUT", "provided sha256Hash does not match the query"
                )
            if self.apq is not None and not known(apq_hash):
                await self.apq.put(apq_hash, query)
            return ResolvedDocument(query, apq_hash)
        if known(apq_hash):
            return ResolvedDocument(None, apq_hash)
        text = await self.apq.get(apq_hash) if self.apq is not None else None
        if text is None:
            raise not_found()
        return ResolvedDocument(text, apq_hash)


def _apq_hash(extensions: Mapping[str, Any] | None) -> str | None:
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, Mapping):
        raise PersistedQueryError("BAD_USER_INPUT", "extensions.persistedQuery must be an object")
    if persisted.get("version") != APQ_VERSION:
        raise PersistedQueryError(
            "BAD_USER_INPUT", "Unsupported persistedQuery version (only version 1 is supported)"
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not SHA256.fullmatch(digest):
        raise PersistedQueryError(
            "BAD_USER_INPUT", "persistedQuery.sha256Hash must be 64 lowercase hex digits"
        )
    return digest


def _checked(query: str | None, found: TrustedDocument) -> ResolvedDocument:
    """A registered document; text sent along with its id must be that document's."""
    if query is not None and document_hash(query) != found.sha256:
        raise PersistedQueryError(
            "BAD_USER_INPUT", "The query text does not match the registered document"
        )
    return ResolvedDocument(found.body, found.sha256)
