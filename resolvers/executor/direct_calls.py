"""Reading a Strawberry field's value without Strawberry's per-call wrapper.

Plain attribute fields (a Strawberry field without resolver or field extensions) read their
source's attribute; resolvers with plain arguments and no field extension other than a
permission check are called as Strawberry would call them (:class:`DirectCall`), the check
included. Every other field keeps its resolver, called with a real ``GraphQLResolveInfo``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLField, GraphQLResolveInfo, GraphQLSchema
from strawberry.exceptions import PermissionReturnedNonBooleanError
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField

# Strawberry marks the resolver of a field without resolver or extensions like this, and
# keeps its field definition in the GraphQL field's extensions under this key.
_BASIC_RESOLVER_MARK = "_is_default"

_STRAWBERRY_DEFINITION = "strawberry-definition"


@dataclass(frozen=True, slots=True)
class DirectCall:
    """A Strawberry resolver called as Strawberry would call it, minus the per-call work it
    needs only for field extensions and input conversion: fields with arguments other than
    built-in scalars, or with extensions other than Strawberry's ``PermissionExtension`` (whose
    check ``guards`` repeats), never get one.

    ``python_names`` maps the GraphQL argument names to the resolver's parameters."""

    field: StrawberryField
    function: Callable[..., Any]
    python_names: dict[str, str]
    pass_self: bool
    source_parameters: tuple[str, ...]
    info_parameter: str | None
    info_class: type[strawberry.Info]
    guards: tuple[BasePermission, ...] = ()

    @property
    def checks_each_source(self) -> bool:
        """Whether a guard's answer may depend on the object (``source``): a batch then
        checks each object, else once for all (a guard says it does not with
        ``depends_on_source = False``, as ``resolvers.permissions`` does)."""
        return any(getattr(guard, "depends_on_source", True) for guard in self.guards)

    def arguments(self, values: dict[str, Any]) -> dict[str, Any]:
        """The resolver's keyword arguments from the coerced GraphQL argument values."""
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

    def __call__(self, source: Any, info: GraphQLResolveInfo, arguments: dict[str, Any]) -> Any:
        kwargs = dict(arguments)
        for name in self.source_parameters:
            kwargs[name] = source
        if self.guards or self.info_parameter is not None:
            wrapped = self.info_class(_raw_info=info, _field=self.field)
            self.check(source, wrapped, arguments)
            if self.info_parameter is not None:
                kwargs[self.info_parameter] = wrapped
        if self.pass_self:
            return self.function(source, **kwargs)
        return self.function(**kwargs)


def direct_call(
    definition: GraphQLField, info_class: type[strawberry.Info] | None
) -> DirectCall | None:
    """The direct call of a field's resolver, or None where Strawberry's wrapper must call it
    (no Strawberry schema, exception handlers, field extensions other than a permission
    check, non-plain arguments)."""
    strawberry_field = (definition.extensions or {}).get(_STRAWBERRY_DEFINITION)
    if (
        info_class is None
        or not isinstance(strawberry_field, StrawberryField)
        or strawberry_field.base_resolver is None
    ):
        return None
    guards = _guards(strawberry_field)
    if guards is None:
        return None
    python_names: dict[str, str] = {}
    for name, argument in definition.args.items():
        declared = (argument.extensions or {}).get(_STRAWBERRY_DEFINITION)
        if not isinstance(declared, StrawberryArgument) or not _plain(declared.type):
            return None
        python_names[name] = declared.python_name
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
        info_class=info_class,
        guards=guards,
    )


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


def direct_info_class(schema: GraphQLSchema) -> type[strawberry.Info] | None:
    """The Info class a Strawberry schema hands its resolvers, or None where resolvers must
    go through Strawberry's wrapper: a schema that is not Strawberry's, or one with
    exception handlers (which the wrapper applies)."""
    strawberry_schema = getattr(schema, "_strawberry_schema", None)
    if strawberry_schema is None or strawberry_schema.schema_converter._exception_handler_specs:
        return None
    info_class: type[strawberry.Info] = strawberry_schema.config.info_class
    return info_class


# Argument types Strawberry passes to a resolver exactly as graphql-core coerced them.
_PLAIN_ARGUMENT_TYPES = (int, float, str, bool, strawberry.ID)


def _plain(argument_type: Any) -> bool:
    if type(argument_type) is StrawberryOptional:
        argument_type = argument_type.of_type
    return argument_type in _PLAIN_ARGUMENT_TYPES


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
