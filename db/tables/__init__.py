"""Mapped tables, one module per domain schema; import them module-qualified
(`from db.tables import incidents as tables` then `tables.Incident`)."""

from db.tables import events, identity, incidents, persisted

__all__ = ["events", "identity", "incidents", "persisted"]
