"""Trusted documents from PostgreSQL, looked up in the request's own walled session.

Found documents are cached in-process for good (a registered id never changes its text);
misses are not, so a newly registered document works at once. A client's safelist flag is
cached briefly (``POLICY_TTL_SECONDS``): revoking freeform access takes effect within it."""

from __future__ import annotations

import time

from db.persisted import find_document, is_safelist_only
from resolvers.context import Context
from router.caller import Caller
from router.persisted import ClientPolicy, TrustedDocument
from router.planning import LruCache

POLICY_TTL_SECONDS = 5.0


class DatabaseTrustedDocuments:
    def __init__(self, capacity: int = 10_000) -> None:
        self._documents: LruCache[tuple[str, str, str], TrustedDocument] = LruCache(capacity)
        self._policies: LruCache[tuple[str, str], tuple[float, ClientPolicy]] = LruCache(capacity)

    async def policy(self, context: object, caller: Caller) -> ClientPolicy:
        assert isinstance(context, Context) and caller.client_id
        key = (caller.tenant, caller.client_id)
        cached = self._policies.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        policy = ClientPolicy(safelist_only=await is_safelist_only(context.db, caller.client_id))
        self._policies.put(key, (time.monotonic() + POLICY_TTL_SECONDS, policy))
        return policy

    async def find(
        self, context: object, caller: Caller, *, document_id: str | None, sha256: str | None
    ) -> TrustedDocument | None:
        assert isinstance(context, Context) and caller.client_id
        key = (
            caller.tenant,
            caller.client_id,
            f"id:{document_id}" if document_id else f"sha:{sha256}",
        )
        cached = self._documents.get(key)
        if cached is not None:
            return cached
        row = await find_document(
            context.db, caller.client_id, document_id=document_id, sha256=sha256
        )
        if row is None:
            return None
        found = TrustedDocument(row.document_id, row.sha256, row.body)
        self._documents.put(key, found)
        return found
