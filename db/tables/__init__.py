"""The shared tables no domain owns (tenants, the outbox, the audit log, persisted operations,
attachments), one module per PostgreSQL schema; import them module-qualified
(`from db.tables import events` then `events.OutboxEvent`). Domains' tables live in their
packages (`subgraphs/<domain>/tables.py`)."""

from db.tables import attachments, audit, events, persisted, tenancy

__all__ = ["attachments", "audit", "events", "persisted", "tenancy"]
