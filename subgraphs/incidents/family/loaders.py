"""Batched reads of an incident's family, within the request's tenant: one statement per
page for each field, whatever the page's size."""

from __future__ import annotations

import uuid

from resolvers.loaders import RowsByKeyLoader
from subgraphs.incidents import tables
from subgraphs.incidents.family.tables import IncidentWatcher


class ChildrenByParentIdLoader(RowsByKeyLoader[uuid.UUID]):
    """Each incident's children, by number."""

    table = tables.Incident
    key = "parent_id"
    order = ("number",)


class DuplicatesByOriginalIdLoader(RowsByKeyLoader[uuid.UUID]):
    """The incidents marked duplicates of each incident, by number."""

    table = tables.Incident
    key = "duplicate_of_id"
    order = ("number",)


class WatchersByIncidentIdLoader(RowsByKeyLoader[uuid.UUID]):
    """Who watches each incident, in the order they started."""

    table = IncidentWatcher
    key = "incident_id"
