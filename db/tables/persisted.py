"""Persisted operations per API client: the client record (is it safelist-only?) and the
trusted documents registered for it from its manifests.

They live in the `persisted` schema, beside the router's machinery that reads them (the
domain owning API clients administers them through db/persisted.py). Documents are only ever
added: an id, once registered, always names the same text (old app releases keep working),
so the server may cache a found document for good."""

from __future__ import annotations

from sqlalchemy import Boolean, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TenantRow

SCHEMA = "persisted"
CLIENT_ID_LENGTH = 200


class ApiClient(TenantRow, Base):
    """An application calling the API (a partner system, a mobile app), by its token's
    client id (`azp`/`client_id`)."""

    __tablename__ = "api_clients"
    __table_args__ = (
        UniqueConstraint("tenant_id", "client_id", name="uq_api_clients_tenant_client"),
        {"schema": SCHEMA},
    )

    client_id: Mapped[str] = mapped_column(String(CLIENT_ID_LENGTH), nullable=False)
    safelist_only: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")


class PersistedDocument(TenantRow, Base):
    __tablename__ = "persisted_documents"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "client_id", "document_id", name="uq_persisted_documents_client_id"
        ),
        Index("ix_persisted_documents_client_sha256", "tenant_id", "client_id", "sha256"),
        {"schema": SCHEMA},
    )

    client_id: Mapped[str] = mapped_column(String(CLIENT_ID_LENGTH), nullable=False)
    document_id: Mapped[str] = mapped_column(String(200), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
