"""Federation 1 subgraphs (no ``@link``) are upgraded as Apollo's composition upgrades them."""

from __future__ import annotations

import pytest

from router.composition import CompositionError, SubgraphSource, Supergraph, compose

FED2 = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@external"])\n'
)
BASE = 'type Query { p: Product } type Product @key(fields: "id") { id: ID! name: String }'


def composed(**sdls: str) -> Supergraph:
    return compose([SubgraphSource(name, sdl) for name, sdl in sdls.items()])


def codes(**sdls: str) -> list[str]:
    with pytest.raises(CompositionError) as raised:
        composed(**sdls)
    return [issue.code for issue in raised.value.issues]


def test_an_extension_resolves_its_external_key_fields() -> None:
    supergraph = composed(
        a=BASE,
        b='extend type Product @key(fields: "id") { id: ID! @external price: Int }',
    )

    product = supergraph.types["Product"]
    assert product.fields["id"].resolvable_in == frozenset({"a", "b"})
    assert product.fields["price"].resolvable_in == frozenset({"b"})
    # Apollo turns the extension into a definition: not an extension in the supergraph.
    assert product.extension_in == frozenset()


def test_without_a_key_the_extension_resolves_the_first_key_of_the_base() -> None:
    supergraph = composed(
        a=BASE, b="type Query { x: Product } extend type Product { id: ID! @external }"
    )

    assert supergraph.types["Product"].fields["id"].resolvable_in == frozenset({"a", "b"})


def test_an_extension_needs_a_base_somewhere_except_root_types() -> None:
    assert codes(
        a="extend type Query { a: Int }",
        b='extend type Query { b: Int } extend type Review @key(fields: "id") '
        "{ id: ID! @external stars: Int }",
    ) == ["EXTENSION_WITH_NO_BASE"]


def test_value_types_and_fields_resolved_elsewhere_are_shareable() -> None:
    supergraph = composed(
        a="type Query { a: Money hello: String } type Money { amount: Int }",
        b="type Query { b: Money hello: String } type Money { amount: Int } "
        'type Product @key(fields: "id") { id: ID! name: String }',
        c=BASE,
    )

    assert supergraph.types["Query"].fields["hello"].resolvable_in == frozenset({"a", "b"})
    assert supergraph.types["Product"].fields["name"].resolvable_in == frozenset({"b", "c"})


def test_a_federation_2_subgraph_must_still_mark_what_it_shares() -> None:
    assert codes(
        a="type Query { a: Money } type Money { amount: Int }",
        b=FED2 + "type Query { b: Money } type Money { amount: Int }",
    ) == ["INVALID_FIELD_SHARING"]
    composed(
        a="type Query { a: Money } type Money { amount: Int }",
        b=FED2 + "type Query { b: Money } type Money @shareable { amount: Int }",
    )


def test_unused_externals_are_removed_and_a_type_left_empty_is_refused_if_returned() -> None:
    supergraph = composed(
        a=BASE,
        b='extend type Product @key(fields: "id") { id: ID! @external name: String @external '
        "price: Int }",
    )
    assert supergraph.types["Product"].fields["name"].joins.keys() == {"a"}

    assert codes(
        a=BASE, b="type Query { x: Product } extend type Product { name: String @external }"
    ) == ["TYPE_WITH_ONLY_UNUSED_EXTERNAL"]


def test_requires_and_provides_keep_only_external_fields() -> None:
    supergraph = composed(
        a='type Query { p: Product } type Product @key(fields: "id") { id: ID! w: Int }',
        b='extend type Query { top: Product @provides(fields: "id") } '
        'extend type Product @key(fields: "id") { id: ID! @external w: Int @external '
        'cost: Int @requires(fields: "id w") }',
    )

    query, product = supergraph.types["Query"], supergraph.types["Product"]
    assert product.fields["cost"].joins["b"].requires == "w"
    # "id" is not external once the extension resolves it: the @provides had no effect.
    assert query.fields["top"].joins["b"].provides is None


def test_key_on_an_interface_is_ignored() -> None:
    supergraph = composed(
        a='type Query { n: Node } interface Node @key(fields: "id") { id: ID! } '
        'type User implements Node @key(fields: "id") { id: ID! }',
    )

    assert not supergraph.types["Node"].is_entity


def test_federation_1_field_sets_may_be_unquoted_or_lists() -> None:
    supergraph = composed(
        a='type Query { p: Product } type Product @key(fields: ["id", "sku"]) @key(fields: id) '
        "{ id: ID! sku: String name: String }",
        b="extend type Product @key(fields: id) { id: ID! @external price: Int }",
    )

    assert [key.fields for key in supergraph.types["Product"].keys["a"]] == ["id sku", "id"]
    assert [key.fields for key in supergraph.types["Product"].keys["b"]] == ["id"]


def test_a_federation_2_extension_resolves_its_external_key_fields_nested_ones_too() -> None:
    link = FED2.replace('"@external"]', '"@external", "@extends"]')
    supergraph = composed(
        a=FED2 + 'type Query { p: Product } type Product @key(fields: "id org { id }") '
        "{ id: ID! org: Org! name: String } type Org @shareable { id: ID! }",
        b=link + 'type Query { q: Product } type Product @key(fields: "id org { id }") @extends '
        "{ id: ID! @external org: Org! @external price: Int } "
        "type Org @shareable { id: ID! @external }",
    )

    assert supergraph.types["Product"].fields["org"].resolvable_in == frozenset({"a", "b"})
    assert supergraph.types["Org"].fields["id"].resolvable_in == frozenset({"a", "b"})
    assert supergraph.types["Product"].extension_in == frozenset({"b"})
