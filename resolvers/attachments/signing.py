"""Short-lived signed download URLs.

A URL carries one token: the attachment's id and tenant, signed with the server's secret
(HMAC-SHA256, itsdangerous) and timestamped. The download endpoint takes a token only within
its lifetime and only from a caller of the same tenant, whose permissions it checks again:
a leaked URL is useless to anyone else and soon to everyone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "opsgraph.attachment-download"


class InvalidToken(Exception):
    """The token is expired, altered or not one of ours (the message says which)."""


@dataclass(frozen=True)
class SignedDownload:
    tenant_id: uuid.UUID
    attachment_id: uuid.UUID


class DownloadSigner:
    def __init__(self, secret: str, lifetime_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=SALT)
        self.lifetime_seconds = lifetime_seconds

    def sign(self, tenant_id: uuid.UUID, attachment_id: uuid.UUID) -> str:
        return str(self._serializer.dumps([str(tenant_id), str(attachment_id)]))

    def verify(self, token: str) -> SignedDownload:
        try:
            tenant, attachment = self._serializer.loads(token, max_age=self.lifetime_seconds)
            return SignedDownload(uuid.UUID(tenant), uuid.UUID(attachment))
        except SignatureExpired:
            raise InvalidToken("The download link has expired") from None
        except (BadSignature, ValueError, TypeError):
            raise InvalidToken("The download link is not valid") from None
