"""The process's attachment settings: the size limit, the URL signer and the store.

The process serving domains sets them once at start (`configure`, from its settings); until
then (tools, tests building contexts of their own) the defaults hold: 25 MB, a secret of the
process's own and the PostgreSQL store. With `OPSGRAPH_S3_URL` the store is S3's
(s3_store.py)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from resolvers.attachments.signing import DownloadSigner
from resolvers.attachments.store import AttachmentStore, PostgresStore

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
URL_LIFETIME_SECONDS = 300


class StoreUnavailable(Exception):
    """An attachment's bytes are in a store this process is not configured for."""


@dataclass(frozen=True)
class AttachmentConfig:
    """`store` takes new uploads; attachments stored earlier are read from the store their
    row names, PostgreSQL's always among them."""

    max_bytes: int = DEFAULT_MAX_BYTES
    signer: DownloadSigner = field(
        default_factory=lambda: DownloadSigner(secrets.token_hex(32), URL_LIFETIME_SECONDS)
    )
    store: AttachmentStore = field(default_factory=PostgresStore)

    def store_named(self, name: str) -> AttachmentStore:
        if name == self.store.name:
            return self.store
        if name == PostgresStore.name:
            return PostgresStore()
        raise StoreUnavailable(f"attachments of the {name!r} store cannot be read here")


_current: list[AttachmentConfig] = []


def configure(config: AttachmentConfig) -> None:
    _current[:] = [config]


def current() -> AttachmentConfig:
    if not _current:
        _current.append(AttachmentConfig())
    return _current[0]
