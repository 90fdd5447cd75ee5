"""Batched reads of the CMDB tables, always within the request's tenant."""

from __future__ import annotations

import uuid

from resolvers.loaders import RowByKeyLoader, RowsByKeyLoader
from subgraphs.cmdb import tables


class CiByIdLoader(RowByKeyLoader[uuid.UUID]):
    table = tables.ConfigurationItem


class CiClassByIdLoader(RowByKeyLoader[uuid.UUID]):
    table = tables.CiClass


class CiClassByNameLoader(RowByKeyLoader[str]):
    table = tables.CiClass
    key = "name"


class ClassesByTenantIdLoader(RowsByKeyLoader[uuid.UUID]):
    """Every class of the tenant (a few dozen rows): inheritance is walked in Python, so a
    class's inherited attributes cost the same two statements at any depth."""

    table = tables.CiClass
    key = "tenant_id"


class AttributesByClassIdLoader(RowsByKeyLoader[uuid.UUID]):
    """The attributes each class declares itself (not inherited), oldest first."""

    table = tables.CiAttribute
    key = "class_id"


class SubclassesByParentIdLoader(RowsByKeyLoader[uuid.UUID]):
    """The direct subclasses of each class."""

    table = tables.CiClass
    key = "parent_id"


class ChangesByCiIdLoader(RowsByKeyLoader[uuid.UUID]):
    """History of each CI, oldest first."""

    table = tables.CiChange
    key = "ci_id"
