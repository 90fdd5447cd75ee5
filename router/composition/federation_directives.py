"""Federation directives on one subgraph's elements, read into facts.

``@key``, ``@requires``/``@provides``, ``@override``, ``@inaccessible``, ``@tag``,
``@authenticated``/``@requiresScopes``/``@policy`` and ``@cost``/``@listSize`` become facts on
the :class:`SubgraphType` or the :class:`SubgraphDefinition` being read; ``@composeDirective``
requests, with every application of a subgraph's own directives, are kept for
:mod:`router.composition.directive_composition`. Malformed ones, directives this router
does not implement (``UNSUPPORTED_FEATURE``), and directives a Federation 2 subgraph applies
without defining or importing them (``INVALID_GRAPHQL``), become composition issues.
"""

from __future__ import annotations

from graphql import (
    BooleanValueNode,
    ConstDirectiveNode,
    DirectiveNode,
    EnumValueNode,
    GraphQLSyntaxError,
    ListValueNode,
    StringValueNode,
)

from router.composition.access import AccessRequirement, read_scopes
from router.composition.cost_directives import read_list_size, read_weight
from router.composition.federation import (
    API_DIRECTIVES,
    SUPPORTED_DIRECTIVES,
    UNSUPPORTED_DIRECTIVES,
    FederationNames,
    string_argument,
)
from router.composition.field_set import parse_field_set
from router.composition.model import CompositionIssue, EntityKey, TypeKind
from router.composition.override_labels import valid_override_label
from router.composition.subgraph_definition import SubgraphDefinition, SubgraphType

# Directives that are never a subgraph's own (``@composeDirective`` candidates).
NOT_CUSTOM_DIRECTIVES = API_DIRECTIVES | {"link"}


class FederationDirectiveReader:
    """Reads the federation directives of one subgraph into ``definition``."""

    def __init__(self, subgraph: str, names: FederationNames, issues: list[CompositionIssue]):
        self.subgraph = subgraph
        self.names = names
        self.issues = issues
        self.definition = SubgraphDefinition(subgraph, {})
        # ``@context`` names set, and the first coordinate each ``@fromContext`` name is used at.
        self.contexts_set: set[str] = set()
        self.contexts_used: dict[str, str] = {}
        # What Apollo's specifications linked besides federation make known: their
        # namespaces (``ns__name``) and the directives imported from them.
        self.linked_namespaces: set[str] = set()
        self.linked_directives: set[str] = set()

    def _issue(self, code: str, message: str) -> None:
        self.issues.append(CompositionIssue(code, message))

    def _read_field_set_argument(
        self, target: SubgraphType, field_name: str, directive: DirectiveNode, canonical: str
    ) -> None:
        text = self._fields_argument(directive)
        where = f'@{canonical} on "{target.name}.{field_name}" in "{self.subgraph}"'
        code = f"{canonical.upper()}_INVALID_FIELDS"
        if not text:
            self._issue(code, f"{where} has no fields")
            return
        try:
            parse_field_set(text)
        except GraphQLSyntaxError as error:
            self._issue(code, f'{where}: "{text}" is not a field set: {error.message}')
            return
        (target.requires if canonical == "requires" else target.provides)[field_name] = text

    def _read_override(
        self, target: SubgraphType, field_name: str, directive: DirectiveNode
    ) -> None:
        coordinate = f"{target.name}.{field_name}"
        label = string_argument(directive, "label")
        if label is not None:
            if not valid_override_label(label):
                self._issue(
                    "OVERRIDE_LABEL_INVALID",
                    f'@override(label: "{label}") on "{coordinate}" in "{self.subgraph}": a '
                    'label is "percent(N)" with 0 <= N <= 100, or a name matching '
                    "[a-zA-Z][a-zA-Z0-9_-:./]*",
                )
                return
            target.override_labels[field_name] = label
        source = string_argument(directive, "from")
        if not source:
            self._issue(
                "OVERRIDE_FROM_MISSING", f'@override on "{coordinate}" in "{self.subgraph}"'
            )
            return
        if source == self.subgraph:
            self._issue(
                "OVERRIDE_FROM_SELF_ERROR",
                f'Field "{coordinate}" in "{self.subgraph}" cannot override itself',
            )
            return
        target.overrides[field_name] = source

    def _element_directives(
        self, directives: tuple[ConstDirectiveNode, ...] | None, coordinate: str
    ) -> None:
        """``@inaccessible``, ``@tag``, access and unsupported directives, on any element."""
        for directive in directives or ():
            canonical = self.names.canonical(directive.name.value)
            if canonical is None and directive.name.value not in NOT_CUSTOM_DIRECTIVES:
                applied = self.definition.custom.applied
                applied.setdefault(coordinate, []).append(directive)
            elif canonical == "composeDirective":
                self._read_compose_directive(directive)
            elif canonical in ("authenticated", "requiresScopes", "policy"):
                self._read_access(directive, canonical, coordinate)
            elif canonical == "inaccessible":
                self.definition.inaccessible.add(coordinate)
            elif canonical == "cost":
                self._read_weight(directive, coordinate)
            elif canonical == "listSize":
                self.definition.list_sizes[coordinate] = read_list_size(directive)
            elif canonical == "tag":
                tag = string_argument(directive, "name")
                if tag is not None:
                    self.definition.tags.setdefault(coordinate, []).append(tag)
            elif canonical == "context":
                self.contexts_set.add(string_argument(directive, "name") or "")
                self._unsupported(canonical, coordinate)
            elif canonical == "fromContext":
                field = string_argument(directive, "field") or ""
                name = field.lstrip("$").split(" ", 1)[0].split("{", 1)[0]
                self.contexts_used.setdefault(name, coordinate)
                self._unsupported(canonical, coordinate)
            elif canonical in UNSUPPORTED_DIRECTIVES:
                self._unsupported(canonical, coordinate)

    def _check_shareable_field(self, target: SubgraphType, coordinate: str) -> None:
        """``INVALID_FIELD_SHARING``, as Apollo: a subscription is one event stream from one
        subgraph, so a ``Subscription`` root field cannot be ``@shareable`` (even where no other
        subgraph defines it)."""
        if target.name == "Subscription" and target.kind is TypeKind.OBJECT:
            self._issue(
                "INVALID_FIELD_SHARING",
                f"[{self.subgraph}] Fields on root level subscription object cannot be marked "
                f'as shareable ("{coordinate}")',
            )

    def _unsupported(self, canonical: str, coordinate: str) -> None:
        where = f'on "{coordinate}" ' if coordinate else "on the schema "
        self._issue(
            "UNSUPPORTED_FEATURE",
            f'@{canonical} {where}in "{self.subgraph}" is not supported by this router',
        )

    def check_known_directives(self) -> None:
        """``INVALID_GRAPHQL``, as Apollo: a Federation 2 subgraph applies a directive it
        neither defines, nor imports from one of Apollo's specifications it links, nor
        qualifies with such a specification's namespace; a federation directive it did not
        import among them (only its ``federation__`` name is known then). Federation 1
        subgraphs know every federation directive bare and are not checked."""
        if not self.names.is_federation_2:
            return
        known = self.linked_directives | set(self.definition.custom.definitions)
        reported: set[str] = set()
        for directives in self.definition.custom.applied.values():
            for directive in directives:
                name = directive.name.value
                namespace, qualified, _ = name.partition("__")
                if name in known or name in reported:
                    continue
                if qualified and namespace in self.linked_namespaces:
                    continue  # another linked specification's qualified name
                reported.add(name)
                message = f'[{self.subgraph}] Unknown directive "@{name}".'
                if name in SUPPORTED_DIRECTIVES | UNSUPPORTED_DIRECTIVES:
                    message += (
                        f' If you meant the "@{name}" federation directive, you should use '
                        f'fully-qualified name "@{self.names.prefix}{name}" or add "@{name}" '
                        "to the `import` argument of the @link to the federation specification."
                    )
                self._issue("INVALID_GRAPHQL", message)

    def check_contexts(self) -> None:
        """``CONTEXT_NOT_SET``, as Apollo: ``@fromContext`` names a context no type sets."""
        for name, coordinate in sorted(self.contexts_used.items()):
            if name not in self.contexts_set:
                self._issue(
                    "CONTEXT_NOT_SET",
                    f'[{self.subgraph}] Context "{name}" is used at location "{coordinate}" '
                    "but is never set.",
                )

    def _read_compose_directive(self, directive: ConstDirectiveNode) -> None:
        name = string_argument(directive, "name") or ""
        if self.names.canonical(name.removeprefix("@")) is not None:
            self._issue(
                "DIRECTIVE_COMPOSITION_ERROR",
                f'Composing federation directive "{name}" in subgraph "{self.subgraph}" is '
                "not supported",
            )
            return
        self.definition.custom.requested.append(name)

    def _read_weight(self, directive: ConstDirectiveNode, coordinate: str) -> None:
        weight = read_weight(directive)
        if weight is None:
            self._issue(
                "INVALID_GRAPHQL",
                f'[{self.subgraph}] @cost on "{coordinate}" needs weight: Int!',
            )
            return
        self.definition.weights[coordinate] = weight

    def _access_misplaced(self, canonical: str, coordinate: str) -> bool:
        """Apollo's placement rules for the access directives; an issue when broken."""
        type_name, _, member = coordinate.partition(".")
        owner = self.definition.types.get(type_name)
        kind = owner.kind if owner is not None else None
        if kind is TypeKind.INTERFACE:
            where = f'field "{coordinate}"' if member else f'interface "{coordinate}"'
            self._issue(
                "AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE",
                f"[{self.subgraph}] Invalid use of @{canonical} on {where}: @{canonical} cannot "
                "be applied on interfaces, interface fields and interface objects",
            )
            return True
        location = None
        if not coordinate:
            location = "SCHEMA"
        elif "(" in coordinate:
            location = "ARGUMENT_DEFINITION"
        elif kind is TypeKind.UNION:
            location = "UNION"
        elif kind is TypeKind.INPUT:
            location = "INPUT_FIELD_DEFINITION" if member else "INPUT_OBJECT"
        elif kind is TypeKind.ENUM and member:
            location = "ENUM_VALUE"
        if location is None:
            return False
        self._issue(
            "INVALID_GRAPHQL",
            f'[{self.subgraph}] Directive "@{canonical}" may not be used on {location}.',
        )
        return True

    def _read_access(self, directive: ConstDirectiveNode, canonical: str, coordinate: str) -> None:
        if self._access_misplaced(canonical, coordinate):
            return
        if canonical == "authenticated":
            requirement = AccessRequirement(authenticated=True)
        else:
            argument = "scopes" if canonical == "requiresScopes" else "policies"
            names = read_scopes(directive, argument)
            if names is None:
                self._issue(
                    "INVALID_GRAPHQL",
                    f'[{self.subgraph}] @{canonical} on "{coordinate}" needs '
                    f"{argument}: [[String!]!]!",
                )
                return
            requirement = (
                AccessRequirement(scopes=names)
                if canonical == "requiresScopes"
                else AccessRequirement(policies=names)
            )
        known = self.definition.access.get(coordinate)
        access = self.definition.access
        access[coordinate] = requirement if known is None else known.also(requirement)

    def _fields_argument(self, directive: DirectiveNode) -> str | None:
        """``fields:`` of ``@key``/``@requires``/``@provides``. Federation 1 libraries also
        accepted it unquoted (``fields: id``) or as a list of strings, which Apollo's
        composition coerces to the string it meant."""
        text = string_argument(directive, "fields")
        if text is not None or self.names.is_federation_2:
            return text
        for argument in directive.arguments or ():
            if argument.name.value != "fields":
                continue
            if isinstance(argument.value, EnumValueNode):
                return argument.value.value
            if isinstance(argument.value, ListValueNode) and all(
                isinstance(item, StringValueNode) for item in argument.value.values
            ):
                return " ".join(item.value for item in argument.value.values)  # type: ignore[attr-defined]
        return None

    def _read_key(self, target: SubgraphType, directive: DirectiveNode) -> None:
        fields_text = self._fields_argument(directive)
        resolvable = True
        for argument in directive.arguments or ():
            if argument.name.value == "resolvable" and isinstance(argument.value, BooleanValueNode):
                resolvable = argument.value.value
        if target.kind is TypeKind.INTERFACE and not self.names.is_federation_2:
            return  # Federation 1 had no entity interfaces: Apollo's upgrade drops such keys
        if not fields_text:
            self._issue(
                "KEY_INVALID_FIELDS", f'[{self.subgraph}] @key on "{target.name}" has no fields'
            )
            return
        try:
            selection = parse_field_set(fields_text)
        except GraphQLSyntaxError as error:
            self._issue(
                "KEY_INVALID_FIELDS",
                f'[{self.subgraph}] @key(fields: "{fields_text}") on "{target.name}": '
                f"{error.message}",
            )
            return
        target.keys.append(EntityKey(fields_text, selection, resolvable))
