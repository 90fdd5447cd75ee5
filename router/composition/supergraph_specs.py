"""The specifications a supergraph SDL links, and the definitions it declares for them.

The join spec's directives and the ``link`` machinery are always declared; the
``@inaccessible``, ``@tag``, ``@authenticated``, ``@requiresScopes``, ``@policy``, ``@cost``/
``@listSize`` definitions (and composed custom directives') only when the supergraph uses them.
"""

JOIN_SPEC = "https://specs.apollo.dev/join/v0.3"
# Progressive override (``@join__field(overrideLabel:)``) needs join v0.4; other supergraphs
# keep v0.3, which every gateway reads.
JOIN_SPEC_OVERRIDE_LABEL = "https://specs.apollo.dev/join/v0.4"
LINK_SPEC = "https://specs.apollo.dev/link/v1.0"
INACCESSIBLE_SPEC = "https://specs.apollo.dev/inaccessible/v0.2"
TAG_SPEC = "https://specs.apollo.dev/tag/v0.3"
AUTHENTICATED_SPEC = "https://specs.apollo.dev/authenticated/v0.1"
REQUIRES_SCOPES_SPEC = "https://specs.apollo.dev/requiresScopes/v0.1"
POLICY_SPEC = "https://specs.apollo.dev/policy/v0.1"
COST_SPEC = "https://specs.apollo.dev/cost/v0.1"

JOIN_DEFINITIONS_TEMPLATE = """
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, \
type: String, external: Boolean, override: String, usedOverridden: Boolean{override_label}) \
repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) \
repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, \
resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) \
repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) \
repeatable on SCHEMA
scalar join__FieldSet
scalar link__Import
enum link__Purpose {
  \"\"\"`SECURITY` features provide metadata necessary to securely resolve fields.\"\"\"
  SECURITY
  \"\"\"`EXECUTION` features provide metadata necessary for operation execution.\"\"\"
  EXECUTION
}
"""
JOIN_DEFINITIONS = JOIN_DEFINITIONS_TEMPLATE.replace("{override_label}", "")
JOIN_DEFINITIONS_OVERRIDE_LABEL = JOIN_DEFINITIONS_TEMPLATE.replace(
    "{override_label}", ", overrideLabel: String"
)
_LOCATIONS = (
    "FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | "
    "ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
INACCESSIBLE_DEFINITION = f"directive @inaccessible on {_LOCATIONS}"
TAG_DEFINITION = f"directive @tag(name: String!) repeatable on {_LOCATIONS} | SCHEMA"
_ACCESS_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"
AUTHENTICATED_DEFINITION = f"directive @authenticated on {_ACCESS_LOCATIONS}"
REQUIRES_SCOPES_DEFINITION = (
    "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on "
    f"{_ACCESS_LOCATIONS}\nscalar requiresScopes__Scope"
)
POLICY_DEFINITION = (
    "directive @policy(policies: [[policy__Policy!]!]!) on "
    f"{_ACCESS_LOCATIONS}\nscalar policy__Policy"
)
COST_DEFINITION = (
    "directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | "
    "INPUT_FIELD_DEFINITION | OBJECT | SCALAR"
)
LIST_SIZE_DEFINITION = (
    "directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: "
    "[String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION"
)
