"""Operation limits: what one request may ask for, checked before any work is done for it.

Token count caps parsing; depth, aliases and directives are counted on the raw document
(fragments measured once, cycles cut) BEFORE validation, because a document that is cheap to
send can be costly to validate; the cost — list sizes (`first`/`last`, page sizes) multiplied
down the selection — needs the variables and is checked after validation and BEFORE the
operation is normalised, which expands every fragment spread: the cost is never below the
size of that expansion. Variables are checked for nesting and size before anything reads
them. Every check is linear in what it checks (router.analysis). Defaults sit near
graphql-armor's and Apollo Router's. Each refusal names the limit and the value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    BREAK,
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    VisitorAction,
)

from router.analysis import COST_CEILING, CostEstimate, DocumentShape, variable_shape
from router.composition.cost_directives import NO_HINTS, CostHints


@dataclass(frozen=True)
class OperationLimits:
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 5000
    max_directives: int = 50
    max_cost: int = 25_000
    max_variable_depth: int = 20
    max_variable_values: int = 10_000
    introspection: bool = True
    suggestions: bool = True


def _limit_error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def check_shape(document: DocumentNode, limits: OperationLimits) -> list[GraphQLError]:
    """Depth, aliases and directives of each operation of `document` (before validation);
    the errors of the first operation over a limit. The fragments are measured once for
    all the operations."""
    shapes = DocumentShape(document)
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        shape = shapes.of(definition)
        errors = []
        if shape.depth > limits.max_depth:
            errors.append(
                _limit_error(
                    "MAX_DEPTH_LIMIT",
                    f"Query depth {shape.depth} exceeds the limit of {limits.max_depth}",
                )
            )
        if shape.aliases > limits.max_aliases:
            errors.append(
                _limit_error(
                    "MAX_ALIASES_LIMIT",
                    f"Query uses {shape.aliases} aliases; the limit is {limits.max_aliases}",
                )
            )
        if shape.directives > limits.max_directives:
            errors.append(
                _limit_error(
                    "MAX_DIRECTIVES_LIMIT",
                    f"Query uses {shape.directives} directives; "
                    f"the limit is {limits.max_directives}",
                )
            )
        if errors:
            return errors
    return []


def shape_rule(limits: OperationLimits) -> type[ASTValidationRule]:
    """:func:`check_shape` as a graphql-core validation rule, for checking documents away
    from the router's pipeline: run it alone, before the other rules, as the pipeline does."""

    class OperationShape(ASTValidationRule):
        def enter_document(self, node: DocumentNode, *_: object) -> VisitorAction:
            for error in check_shape(node, limits):
                self.report_error(error)
            return BREAK

    return OperationShape


def estimate_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any],
    hints: CostHints = NO_HINTS,
) -> int:
    """1 per selection (or its ``@cost``), times the sizes of the lists above it (their
    ``@listSize`` first), after validation; saturates at ``COST_CEILING``."""
    return CostEstimate(schema, document, variables, hints).of(operation)


def check_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any],
    limits: OperationLimits,
    hints: CostHints = NO_HINTS,
) -> list[GraphQLError]:
    return cost_errors(estimate_cost(schema, document, operation, variables, hints), limits)


def cost_errors(cost: int, limits: OperationLimits) -> list[GraphQLError]:
    """MAX_COST_LIMIT when ``cost`` exceeds the limit."""
    if cost <= limits.max_cost:
        return []
    value = f"at least {COST_CEILING}" if cost >= COST_CEILING else str(cost)
    return [
        _limit_error(
            "MAX_COST_LIMIT",
            f"Query cost {value} exceeds the limit of {limits.max_cost}; "
            "ask for smaller pages or fewer fields",
        )
    ]


def check_variables(variables: Mapping[str, Any], limits: OperationLimits) -> list[GraphQLError]:
    """Nesting and number of the variables' values, before they are coerced, hashed for the
    response cache or sent to a subgraph (each of which walks them, some recursively)."""
    shape = variable_shape(variables, stop_after=limits.max_variable_values)
    if shape.values > limits.max_variable_values:
        return [
            _limit_error(
                "MAX_VARIABLE_VALUES_LIMIT",
                f"Variables hold more than {limits.max_variable_values} values; "
                f"the limit is {limits.max_variable_values}",
            )
        ]
    if shape.depth > limits.max_variable_depth:
        return [
            _limit_error(
                "MAX_VARIABLE_DEPTH_LIMIT",
                f"Variables nest {shape.depth} levels deep; "
                f"the limit is {limits.max_variable_depth}",
            )
        ]
    return []


def parse_failure_code(error: GraphQLSyntaxError) -> str:
    """MAX_TOKENS_LIMIT when parsing stopped at the token cap, else GRAPHQL_PARSE_FAILED."""
    if "tokens. Parsing aborted" in error.message:
        return "MAX_TOKENS_LIMIT"
    return "GRAPHQL_PARSE_FAILED"


def without_suggestions(message: str) -> str:
    """graphql-core's message without its "Did you mean ...?" hint (schema discovery)."""
    return message.split(" Did you mean", 1)[0]
