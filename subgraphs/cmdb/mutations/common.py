"""What every CI mutation does after its unit of work: refresh the request's loaders."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry

from resolvers.errors import BadUserInput
from resolvers.ids import parse_id
from subgraphs.cmdb.loaders import ChangesByCiIdLoader, CiByIdLoader
from subgraphs.cmdb.types import ConfigurationItem


def changed(info: strawberry.Info, row: Any) -> ConfigurationItem:
    """The CI as the mutation left it; loaders of this request forget older reads."""
    loaders = info.context.loaders
    loaders.get(CiByIdLoader).clear(row.id).prime(row.id, row)
    loaders.get(ChangesByCiIdLoader).clear(row.id)
    return ConfigurationItem.from_row(row)


def optional_id(value: strawberry.ID | None, name: str) -> uuid.UUID | None:
    return parse_id(value, name) if value is not None else None


def json_object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadUserInput(f"{name} must be a JSON object", field=name)
    return value
