"""Trusted documents as the router sees them: looked up per caller through a protocol the
server implements over its database (the router never touches storage)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from router.caller import Caller


@dataclass(frozen=True, slots=True)
class TrustedDocument:
    document_id: str
    sha256: str
    body: str


@dataclass(frozen=True, slots=True)
class ClientPolicy:
    """``safelist_only``: the client may run only its registered documents."""

    safelist_only: bool = False


class TrustedDocuments(Protocol):
    async def policy(self, context: object, caller: Caller) -> ClientPolicy:
        """The policy of ``caller.client_id`` (a default policy for unknown clients)."""
        ...

    async def find(
        self, context: object, caller: Caller, *, document_id: str | None, sha256: str | None
    ) -> TrustedDocument | None:
        """A document registered for the caller's client, by id or by text hash."""
        ...
