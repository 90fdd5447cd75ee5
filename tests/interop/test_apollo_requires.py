"""Apollo's composition on the @requires/@provides/@external/@override planner fixture: the
same API schema, and the same ``@join__field`` facts for every field of ``Product``
(``requires`` with nested selections, fragments and arguments; ``overrideLabel``)."""

from __future__ import annotations

from pathlib import Path

from graphql import ObjectTypeDefinitionNode, parse, print_ast

from router.composition import compose, print_api_schema, print_supergraph
from tests.interop.conftest import run_node
from tests.interop.test_apollo import normalised
from tests.router.fixture_requires import requires_sources


def join_fields(supergraph_sdl: str, type_name: str) -> dict[str, list[str]]:
    """``@join__field`` applications per field of ``type_name``, each as printed."""
    for definition in parse(supergraph_sdl).definitions:
        if isinstance(definition, ObjectTypeDefinitionNode) and definition.name.value == type_name:
            return {
                field.name.value: sorted(
                    print_ast(directive)
                    for directive in field.directives or ()
                    if directive.name.value == "join__field"
                )
                for field in definition.fields or ()
            }
    raise AssertionError(f"no type {type_name}")


def test_requires_fixture_composes_under_apollo_like_ours(node_modules: Path) -> None:
    services = [{"name": source.name, "sdl": source.sdl} for source in requires_sources()]
    composed = run_node(node_modules, "compose.cjs", services)
    ours = compose(requires_sources())

    assert composed.get("errors") is None
    assert normalised(composed["apiSchema"]) == normalised(print_api_schema(ours))
    assert join_fields(print_supergraph(ours), "Product") == join_fields(
        composed["supergraphSdl"], "Product"
    )
