"""Mapped tables, one module per domain schema; import them module-qualified
(`from db.tables import incidents as tables` then `tables.Incident`)."""

from db.tables import audit, events, identity, incidents, persisted

__all__ = ["audit", "events", "identity", "incidents", "persisted"]
