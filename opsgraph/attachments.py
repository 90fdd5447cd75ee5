"""The attachments facility's settings for the process serving domains (resolvers/
attachments/config.py): the size limit, the secret signing download links, which every
replica and, in a split deployment, the incidents subgraph's processes must share, and the
store (S3 when OPSGRAPH_S3_URL is set, else PostgreSQL)."""

from __future__ import annotations

import logging
import secrets

from opsgraph.settings import Settings
from resolvers.attachments.config import URL_LIFETIME_SECONDS, AttachmentConfig, configure
from resolvers.attachments.s3_store import S3Store
from resolvers.attachments.signing import DownloadSigner
from resolvers.attachments.store import PostgresStore

log = logging.getLogger(__name__)


def configure_attachments(settings: Settings) -> None:
    """Set the process's attachment settings. Without a shared secret each process signs with
    one of its own: its links open on it alone (a warning says so in production, where
    replicas are the rule)."""
    secret = settings.attachment_secret or settings.subgraph_secret
    if secret is None:
        if settings.env == "production":
            log.warning(
                "OPSGRAPH_ATTACHMENT_SECRET is not set: attachment download links open only on "
                "the process that made them; give every replica the same secret "
                "(`openssl rand -hex 32`)"
            )
        secret = secrets.token_hex(32)
    configure(
        AttachmentConfig(
            max_bytes=settings.max_attachment_bytes,
            signer=DownloadSigner(secret, URL_LIFETIME_SECONDS),
            store=S3Store.from_url(settings.s3_url) if settings.s3_url else PostgresStore(),
        )
    )
