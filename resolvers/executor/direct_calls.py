"""Reading a Strawberry field's value without Strawberry's per-call wrapper.

Plain attribute fields (a Strawberry field without resolver or field extensions) read their
source's attribute; resolvers with no field extension other than a permission check are
called as Strawberry would call them (:class:`DirectCall`), the check included, their input
objects converted as Strawberry converts them (:class:`InputConversion`). Every other field
keeps its resolver, called with a real ``GraphQLResolveInfo``.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import strawberry
from graphql import GraphQLField, GraphQLResolveInfo, GraphQLSchema
from strawberry.exceptions import PermissionReturnedNonBooleanError
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types.arguments import StrawberryArgument, convert_arguments
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import has_enum_definition
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType

# Strawberry marks the resolver of a field without resolver or extensions like this, and
# keeps its field definition in the GraphQL field's extensions under this key.
_BASIC_RESOLVER_MARK = "_is_default"

_STRAWBERRY_DEFINITION = "strawberry-definition"


CONVERSIONS_KEPT = 256  # distinct argument values per field whose conversion is kept
KEPT_SIZE = 4096  # characters and values of arguments whose conversion may be kept


@dataclass(frozen=True, slots=True)
class InputConversion:
    """Strawberry's conversion of a field's arguments: input objects into their dataclasses,
    enum values into members, lists copied. Arguments holding input objects (``objects``)
    are converted once per distinct values and kept: the incidents page's filter, pagination
    and order took 250 µs to convert on every request, always the same. What is kept is
    never handed out: each call gets its own copy of their containers (``own``), so a
    resolver that changes its input changes nothing else. Values that cannot be told apart
    by hashing (an upload, say) are converted every time, as are the other arguments (an
    enum, a list of ``_Any`` representations), for which Strawberry does little."""

    objects: list[StrawberryArgument]
    others: list[StrawberryArgument]
    scalar_registry: Mapping[object, Any]
    config: StrawberryConfig
    object_names: tuple[str, ...] = ()  # the GraphQL names of ``objects``
    kept: dict[Hashable, dict[str, Any]] = field(default_factory=dict)

    def __call__(self, values: dict[str, Any]) -> dict[str, Any]:
        converted = self._convert(values, self.others) if self.others else {}
        if self.objects:
            converted.update(self._objects(values))
        return converted

    def own(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """One call's arguments, the containers of its input objects its own."""
        own = dict(arguments)
        for argument in self.objects:
            name = argument.python_name
            if name in own:
                own[name] = fresh(own[name])
        return own

    def _objects(self, values: dict[str, Any]) -> dict[str, Any]:
        given = {name: values[name] for name in self.object_names if name in values}
        key = _frozen(given)
        converted = self.kept.get(key) if key is not None else None
        if converted is None:
            converted = self._convert(given, self.objects)
            if key is not None:
                if len(self.kept) >= CONVERSIONS_KEPT:
                    self.kept.clear()
                self.kept[key] = converted
        return converted

    def _convert(
        self, values: dict[str, Any], arguments: list[StrawberryArgument]
    ) -> dict[str, Any]:
        return convert_arguments(
            values, arguments, scalar_registry=self.scalar_registry, config=self.config
        )


def _frozen(value: Any) -> Hashable | None:
    """``value`` (coerced GraphQL input: dicts, lists, scalars, enum members) as a hashable
    key, each leaf with its type (``1`` and ``True`` hash alike); None when a leaf is not
    hashable, or when the values are larger than ``KEPT_SIZE``: what is kept stays small
    whatever clients send (a long search text is converted every time)."""
    try:
        return _freeze(value, [KEPT_SIZE])
    except (TypeError, _TooLarge):
        return None


class _TooLarge(Exception):
    pass


def _freeze(value: Any, budget: list[int]) -> Hashable:
    kind = type(value)
    budget[0] -= 1 + (len(value) if kind is str else 0)
    if budget[0] < 0:
        raise _TooLarge
    if kind is dict:
        return (dict, tuple((name, _freeze(item, budget)) for name, item in value.items()))
    if kind is list:
        return (list, tuple(_freeze(item, budget) for item in value))
    hash(value)
    return (kind, value)


def fresh(value: Any) -> Any:
    """A copy of converted arguments' containers (lists, dicts, input dataclasses), sharing
    their leaves (strings, numbers, enum members: immutable)."""
    kind = type(value)
    if kind is list:
        return [fresh(item) for item in value]
    if kind is dict:
        return {name: fresh(item) for name, item in value.items()}
    if dataclasses.is_dataclass(kind) and hasattr(value, "__dict__"):
        copied = object.__new__(kind)
        copied.__dict__.update({name: fresh(item) for name, item in vars(value).items()})
        return copied
    return value


@dataclass(frozen=True, slots=True)
class DirectCall:
    """A Strawberry resolver called as Strawberry would call it, minus the per-call work it
    needs only for field extensions: fields with extensions other than Strawberry's
    ``PermissionExtension`` (whose check ``guards`` repeats), or with arguments Strawberry
    builds through hooks (``from_input``, ``Maybe``), never get one.

    ``python_names`` maps the GraphQL argument names to the resolver's parameters;
    ``conversion`` converts them when some is not a built-in scalar."""

    field: StrawberryField
    function: Callable[..., Any]
    python_names: dict[str, str]
    pass_self: bool
    source_parameters: tuple[str, ...]
    info_parameter: str | None
    info_class: type[strawberry.Info]
    guards: tuple[BasePermission, ...] = ()
    conversion: InputConversion | None = None

    @property
    def checks_each_source(self) -> bool:
        """Whether a guard's answer may depend on the object (``source``): a batch then
        checks each object, else once for all (a guard says it does not with
        ``depends_on_source = False``, as ``resolvers.permissions`` does)."""
        return any(getattr(guard, "depends_on_source", True) for guard in self.guards)

    def arguments(self, values: dict[str, Any]) -> dict[str, Any]:
        """The resolver's keyword arguments from the coerced GraphQL argument values (each
        call takes its own copy of input objects, ``own``)."""
        if self.conversion is not None:
            return self.conversion(values)
        return {self.python_names[name]: value for name, value in values.items()}

    def check(self, source: Any, info: strawberry.Info, arguments: dict[str, Any]) -> None:
        """The field's permission check, as ``PermissionExtension`` makes it: raises the
        refusal (the permission's own error, or its ``on_unauthorized``)."""
        for guard in self.guards:
            allowed = guard.has_permission(source, info, **arguments)
            if not isinstance(allowed, bool):
                raise PermissionReturnedNonBooleanError(guard, allowed)
            if not allowed:
                guard.on_unauthorized()

    def own(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """One call's arguments, its input objects its own."""
        return self.conversion.own(arguments) if self.conversion is not None else dict(arguments)

    def __call__(self, source: Any, info: GraphQLResolveInfo, arguments: dict[str, Any]) -> Any:
        kwargs = self.own(arguments)
        if self.guards or self.info_parameter is not None:
            wrapped = self.info_class(_raw_info=info, _field=self.field)
            self.check(source, wrapped, kwargs)  # the field's arguments only, as Strawberry
            if self.info_parameter is not None:
                kwargs[self.info_parameter] = wrapped
        for name in self.source_parameters:
            kwargs[name] = source
        if self.pass_self:
            return self.function(source, **kwargs)
        return self.function(**kwargs)


@dataclass(frozen=True, slots=True)
class StrawberryCalls:
    """What calling a Strawberry schema's resolvers directly takes: the Info class they are
    given, and what converting their arguments takes."""

    info_class: type[strawberry.Info]
    scalar_registry: Mapping[object, Any]
    config: StrawberryConfig


def direct_call(definition: GraphQLField, calls: StrawberryCalls | None) -> DirectCall | None:
    """The direct call of a field's resolver, or None where Strawberry's wrapper must call it
    (no Strawberry schema, exception handlers, field extensions other than a permission
    check, arguments Strawberry builds through hooks)."""
    strawberry_field = (definition.extensions or {}).get(_STRAWBERRY_DEFINITION)
    if (
        calls is None
        or not isinstance(strawberry_field, StrawberryField)
        or strawberry_field.base_resolver is None
    ):
        return None
    guards = _guards(strawberry_field)
    if guards is None:
        return None
    python_names: dict[str, str] = {}
    plain = True
    for name, argument in definition.args.items():
        declared = (argument.extensions or {}).get(_STRAWBERRY_DEFINITION)
        if not isinstance(declared, StrawberryArgument) or not _convertible(declared.type):
            return None
        python_names[name] = declared.python_name
        plain = plain and _plain(declared.type)
    resolver = strawberry_field.base_resolver
    info = resolver.info_parameter
    return DirectCall(
        strawberry_field,
        resolver,
        python_names,
        pass_self=resolver.self_parameter is not None,
        source_parameters=tuple(
            parameter.name
            for parameter in (resolver.parent_parameter, resolver.root_parameter)
            if parameter is not None
        ),
        info_parameter=info.name if info is not None else None,
        info_class=calls.info_class,
        guards=guards,
        conversion=None if plain else _conversion(strawberry_field.arguments, calls),
    )


def _conversion(arguments: list[StrawberryArgument], calls: StrawberryCalls) -> InputConversion:
    objects = [argument for argument in arguments if _holds_objects(argument.type)]
    others = [argument for argument in arguments if argument not in objects]
    names = tuple(calls.config.name_converter.from_argument(argument) for argument in objects)
    return InputConversion(objects, others, calls.scalar_registry, calls.config, names)


def _guards(field: StrawberryField) -> tuple[BasePermission, ...] | None:
    """The permissions a field's extensions check, when they are all it has and each check
    is synchronous and raises when refused (None: the field keeps Strawberry's wrapper)."""
    guards: list[BasePermission] = []
    for extension in field.extensions:
        if not isinstance(extension, PermissionExtension) or extension.fail_silently:
            return None
        for permission in extension.permissions:
            if (
                inspect.iscoroutinefunction(permission.has_permission)
                # Strawberry answers with what an overridden one returns; this one raises.
                or type(permission).on_unauthorized is not BasePermission.on_unauthorized
            ):
                return None
            guards.append(permission)
    return tuple(guards)


def strawberry_calls(schema: GraphQLSchema) -> StrawberryCalls | None:
    """What direct calls of a Strawberry schema's resolvers take, or None where resolvers
    must go through Strawberry's wrapper: a schema that is not Strawberry's, or one with
    exception handlers (which the wrapper applies)."""
    strawberry_schema = getattr(schema, "_strawberry_schema", None)
    if strawberry_schema is None or strawberry_schema.schema_converter._exception_handler_specs:
        return None
    return StrawberryCalls(
        strawberry_schema.config.info_class,
        strawberry_schema.schema_converter.scalar_registry,
        strawberry_schema.config,
    )


# Argument types Strawberry passes to a resolver exactly as graphql-core coerced them.
_PLAIN_ARGUMENT_TYPES = (int, float, str, bool, strawberry.ID)


def _plain(argument_type: Any) -> bool:
    if type(argument_type) is StrawberryOptional:
        argument_type = argument_type.of_type
    return argument_type in _PLAIN_ARGUMENT_TYPES


def _holds_objects(argument_type: Any) -> bool:
    """Whether an argument of this (convertible) type holds input objects."""
    while isinstance(argument_type, StrawberryOptional | StrawberryList | LazyType):
        argument_type = (
            argument_type.resolve_type()
            if isinstance(argument_type, LazyType)
            else argument_type.of_type
        )
    return has_object_definition(argument_type) and not has_enum_definition(argument_type)


def _convertible(argument_type: Any, seen: frozenset[type] = frozenset()) -> bool:
    """Whether Strawberry converts an argument of this type from its value alone: scalars,
    enums, lists and input objects without a ``from_input`` hook (which is given the
    request's info), not ``Maybe`` (whose ``Some`` wrapper is not copied per call)."""
    if isinstance(argument_type, StrawberryMaybe):
        return False
    if isinstance(argument_type, StrawberryOptional | StrawberryList):
        return _convertible(argument_type.of_type, seen)
    if isinstance(argument_type, LazyType):
        return _convertible(argument_type.resolve_type(), seen)
    if has_enum_definition(argument_type) or not has_object_definition(argument_type):
        return True  # an enum, or a scalar: given as graphql-core coerced it
    definition = argument_type.__strawberry_definition__
    if not definition.is_input or definition.from_input is not None:
        return False
    if argument_type in seen:  # a recursive input, checked already
        return True
    below = seen | {argument_type}
    return all(
        _convertible(input_field.resolve_type(type_definition=definition), below)
        for input_field in definition.fields
    )


def attribute_name(definition: GraphQLField) -> str | None:
    """The attribute a Strawberry field only reads from its source (None: it resolves)."""
    resolver = definition.resolve
    strawberry_field = (definition.extensions or {}).get(_STRAWBERRY_DEFINITION)
    if (
        resolver is None
        or not getattr(resolver, _BASIC_RESOLVER_MARK, False)
        or strawberry_field is None
        or strawberry_field.default_resolver is not getattr
    ):
        return None
    return strawberry_field.python_name  # type: ignore[no-any-return]
