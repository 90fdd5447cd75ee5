"""Filter conditions on incidents' custom field values (the CMDB's attribute grammar,
resolvers/json_values.py): equality by containment, the incidents found first by their
value tokens (db/value_tokens.py); ranges compare values of the bound's JSON type only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select

from resolvers.errors import BadUserInput
from resolvers.json_values import value_condition
from resolvers.value_tokens import NumberTokens, ValueTokens
from subgraphs.incidents import tables
from subgraphs.incidents.custom_fields.definitions import NAME_MAX
from subgraphs.incidents.custom_fields.inputs import IncidentFieldCondition

CONDITIONS_MAX = 20
TOKENS = ValueTokens(tables.IncidentFieldToken, tables.Incident)
NUMBERS = NumberTokens(tables.IncidentFieldNumber, tables.Incident)


def with_values(
    query: Select[Any], column: Any, conditions: Sequence[IncidentFieldCondition]
) -> Select[Any]:
    if len(conditions) > CONDITIONS_MAX:
        raise BadUserInput(
            f"filter.customFields takes at most {CONDITIONS_MAX} conditions", argument="filter"
        )
    for index, condition in enumerate(conditions):
        query = query.where(
            *value_condition(
                column, condition, f"filter.customFields[{index}]", NAME_MAX, TOKENS, NUMBERS
            )
        )
    return query
