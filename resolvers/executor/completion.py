"""Completing a field's value by its type: non-null checks, leaves, lists, abstract types.

Values complete synchronously while they can; an awaitable makes its list (and the objects
above it) complete in a coroutine, and sibling awaitables are gathered together, so loaders
batch exactly as under graphql-core. A null in a non-null position propagates to the
nearest nullable parent (:class:`Null`), as the GraphQL specification says.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Iterable
from types import CoroutineType
from typing import Any

from graphql import GraphQLError

from resolvers.columns import ReadRows
from resolvers.executor.builders import from_rows
from resolvers.executor.operation import Build, FieldPlan, Found, Kind, TypePlan

# A response path as nested tuples (parent, key, parent type name): built for every object
# and list element, so as cheap as a tuple can be; a graphql-core ``Path`` is made from it
# only for a resolver's info or an error.
Chain = tuple[Any, str | int, str | None] | None


class Null(Exception):
    """A null reached a non-null position: the nearest nullable parent becomes null."""


def is_async(value: Any) -> bool:
    """Whether ``value`` is a coroutine: a completion (or resolution) still waiting."""
    return type(value) is CoroutineType


async def settle(coroutines: list[Any]) -> list[Any]:
    """The coroutines' results, run concurrently (one needs no task of its own); every one
    finishes before the first failure (a null to propagate) is raised."""
    if len(coroutines) == 1:
        return [await coroutines[0]]
    results = await asyncio.gather(*coroutines, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


_TYPE_NAMES: dict[type, str] = {}


def type_name(value: Any) -> str:
    """The GraphQL object type of a Strawberry object ("" for anything else); looked up once
    per class (an abstract list of thousands of entities asks it of each)."""
    cls = type(value)
    name = _TYPE_NAMES.get(cls)
    if name is None:
        definition = getattr(cls, "__strawberry_definition__", None)
        name = _TYPE_NAMES[cls] = getattr(definition, "name", "")
    return name


def one_class(values: list[Any]) -> type | None:
    """The class every value is of, when they share one (an entity list's thousands): what
    is asked of each value's class is then asked once."""
    classes = set(map(type, values))
    return classes.pop() if len(classes) == 1 else None


def of_type(values: list[Any], name: str) -> list[Any]:
    """The values that are objects of the GraphQL type ``name``."""
    if one_class(values) is not None:
        return values if type_name(values[0]) == name else []
    return [value for value in values if type_name(value) == name]


class ValueCompletion(ABC):
    """The completion half of an operation run (:class:`resolvers.executor.run.OperationRun`)."""

    found: Found  # what the run's batches resolved, for generated completions

    @abstractmethod
    def object(self, plan: TypePlan, source: Any, path: Chain) -> Any:
        """An object's selected fields, completed."""

    @abstractmethod
    async def _list_batched(
        self,
        field: FieldPlan,
        plan: TypePlan,
        items: list[Any] | ReadRows[Any],
        path: Chain,
        item: TypePlan,
    ) -> Any:
        """A list whose objects reach batched fields, completed (from their rows, where
        ``items`` are)."""

    @abstractmethod
    def _record(self, field: FieldPlan, error: Exception, path: Chain) -> None:
        """Record ``error`` at ``path``."""

    async def _nullable_later(self, completed: Any, *, nullable: bool) -> Any:
        try:
            return await completed
        except Null:
            if nullable:
                return None
            raise

    def complete(self, field: FieldPlan, plan: TypePlan, value: Any, path: Chain) -> Any:
        kind = plan.kind
        if kind is Kind.NON_NULL:
            assert plan.inner is not None
            if value is None:
                # As graphql-core: a TypeError, so masked and logged like any other bug.
                message = (
                    f"Cannot return null for non-nullable field "
                    f"{field.parent_type.name}.{field.name}."
                )
                self._record(field, TypeError(message), path)
                raise Null
            return self.complete(field, plan.inner, value, path)
        if value is None:
            return None
        if kind is Kind.LEAF:
            assert plan.serialize is not None
            return plan.serialize(value)
        if kind is Kind.OBJECT:
            return self.object(plan, value, path)
        if kind is Kind.LIST:
            return self._list(field, plan, value, path)
        return self._abstract(field, plan, value, path)

    def _list(self, field: FieldPlan, plan: TypePlan, value: Any, path: Chain) -> Any:
        assert plan.inner is not None
        if type(value) is not list and (isinstance(value, str) or not isinstance(value, Iterable)):
            raise GraphQLError(
                "Expected Iterable, but did not find one for field "
                f"'{field.parent_type.name}.{field.name}'."
            )
        inner = plan.inner
        item = inner.inner if inner.kind is Kind.NON_NULL else inner
        if item is not None and item.batches:
            items = value if type(value) is ReadRows else list(value)
            return self._list_batched(field, plan, items, path, item)
        return self._items(field, inner, value, path)

    def _items(self, field: FieldPlan, inner: TypePlan, value: Any, path: Chain) -> Any:
        nullable = inner.kind is not Kind.NON_NULL
        element = inner.inner if not nullable else inner
        if type(value) is ReadRows:
            if element is not None:
                built = from_rows(element, value, nullable, self.found)
                if built is not None:
                    return built
            value = value.objects()
        objects = element if element is not None and element.kind is Kind.OBJECT else None
        if element is not None and type(value) is list:
            try:
                if objects is not None and (build := objects.build) is not None:
                    found = self.found
                    if nullable:
                        return [None if item is None else build(item, found) for item in value]
                    return [build(item, found) for item in value]
                if (builds := element.builds) is not None:
                    return self._built(builds, value, nullable)
            except Exception:  # an item not plain after all: item by item below
                pass
        items: list[Any] = []
        waiting = False
        for index, item in enumerate(value):
            item_path = (path, index, None)
            if hasattr(type(item), "__await__"):
                completed = self._item_later(field, inner, item, item_path)
                waiting = True
            else:
                plain_object = item is not None and not isinstance(item, Exception)
                completed = self._item(
                    field, inner, item, item_path, objects if plain_object else None
                )
                if is_async(completed):
                    completed = self._nullable_later(completed, nullable=nullable)
                    waiting = True
            items.append(completed)
        if waiting:
            return self._list_later(items)
        return items

    def _item(
        self,
        field: FieldPlan,
        plan: TypePlan,
        item: Any,
        path: Chain,
        object_plan: TypePlan | None = None,
    ) -> Any:
        """One list element; with ``object_plan``, an object (most list elements) that
        completes straight to its fields."""
        try:
            if object_plan is not None:
                return self.object(object_plan, item, path)
            if isinstance(item, Exception):
                raise item
            return self.complete(field, plan, item, path)
        except Null:
            if plan.kind is Kind.NON_NULL:
                raise
            return None
        except Exception as error:
            self._record(field, error, path)
            if plan.kind is Kind.NON_NULL:
                raise Null from None
            return None

    def _built(self, builds: dict[str, Build], value: list[Any], nullable: bool) -> list[Any]:
        """A list of an abstract type's objects, each by its type's generated completion."""
        found = self.found
        if (cls := one_class(value)) is not None and cls is not type(None):
            build = builds[type_name(value[0])]
            return [build(item, found) for item in value]
        if nullable:
            return [
                None if item is None else builds[type_name(item)](item, found) for item in value
            ]
        return [builds[type_name(item)](item, found) for item in value]

    async def _item_later(self, field: FieldPlan, plan: TypePlan, item: Any, path: Chain) -> Any:
        try:
            value = await item
        except Exception as error:
            value = error
        completed = self._item(field, plan, value, path)
        if not is_async(completed):
            return completed
        return await self._nullable_later(completed, nullable=plan.kind is not Kind.NON_NULL)

    async def _list_later(self, items: list[Any]) -> list[Any]:
        positions = [index for index, item in enumerate(items) if is_async(item)]
        results = await settle([items[i] for i in positions])
        for index, result in zip(positions, results, strict=True):
            items[index] = result
        return items

    def _abstract(self, field: FieldPlan, plan: TypePlan, value: Any, path: Chain) -> Any:
        runtime = plan.possible.get(type_name(value))
        if runtime is None:
            raise GraphQLError(
                f"Abstract type '{plan.name}' must resolve to an Object type at runtime"
                f" for field '{field.parent_type.name}.{field.name}'."
            )
        return self.object(runtime, value, path)
