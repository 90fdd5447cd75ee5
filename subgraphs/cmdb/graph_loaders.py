"""Batched reads of relationships and relationship types, always within the request's tenant."""

from __future__ import annotations

import uuid
from typing import ClassVar

from resolvers.loaders import RowByKeyLoader, RowsByKeyLoader
from subgraphs.cmdb import tables


class RelationshipByIdLoader(RowByKeyLoader[uuid.UUID]):
    table = tables.CiRelationship


class RelationshipsByParentIdLoader(RowsByKeyLoader[uuid.UUID]):
    """The relationships where each CI is the parent (its children), oldest first."""

    table = tables.CiRelationship
    key = "parent_id"


class RelationshipsByChildIdLoader(RowsByKeyLoader[uuid.UUID]):
    """The relationships where each CI is the child (its parents), oldest first."""

    table = tables.CiRelationship
    key = "child_id"


class RelationshipTypesByTenantIdLoader(RowsByKeyLoader[uuid.UUID]):
    """Every relationship type of the tenant (a handful), by name: the key is the request's
    tenant, so one read serves every field of the request that needs a type."""

    table = tables.RelationshipType
    key = "tenant_id"
    order: ClassVar[tuple[str, ...]] = ("name", "id")
