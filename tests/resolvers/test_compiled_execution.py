"""The compiled execution path answers exactly what the normal executor answers: the same
data, the same errors (codes, masking, paths), the same null propagation; and it leaves
what it does not cover to the normal executor."""

from __future__ import annotations

import asyncio
import copy
import enum
import uuid
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
import strawberry
from graphql import GraphQLScalarType, parse
from sqlalchemy import column
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.permission import BasePermission, PermissionExtension

from opsgraph.domains import REGISTRY
from resolvers.batching import batched
from resolvers.columns import ReadRows, RowFields
from resolvers.errors import BadUserInput, Forbidden
from resolvers.executor.compiled_executor import CompiledExecutor
from resolvers.executor.compiler import compile_operation
from resolvers.executor.operation import Kind, TypePlan
from resolvers.pagination import Connection, PageRequest, SortOrder, build_connection
from resolvers.permissions import RequiresPermission, requires
from resolvers.principal import Principal
from resolvers.references import EntityStub
from resolvers.schema import subgraph_schema

# This module compares the two executors itself, and counts the calls and checks each makes.
pytestmark = pytest.mark.compiled_unchecked


@strawberry.enum
class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


# Sizes of the lists the batched field was resolved for, call by call.
BATCH_CALLS: list[int] = []
# The ids of the objects a counted permission check was made on, check by check.
CHECKS: list[str] = []


class CountedView(RequiresPermission):
    """incident:view, whatever the object (as every OpsGraph permission), checks counted."""

    permission = "incident:view"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        CHECKS.append(source.id)
        return super().has_permission(source, info, **kwargs)


class OddOnly(BasePermission):
    """A check whose answer depends on the object: odd ids only, checks counted."""

    message = "Only odd items"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        CHECKS.append(source.id)
        return int(source.id) % 2 == 1


async def labels_of(
    items: Sequence[Item], info: strawberry.Info, prefix: str = ""
) -> list[list[str]]:
    if prefix == "bad":
        raise BadUserInput("no bad prefixes", argument="prefix")
    BATCH_CALLS.append(len(items))
    return [[f"{prefix}{item.id}-a", f"{prefix}{item.id}-b"] for item in items]


@strawberry.type
class Tag:
    name: str
    color: Color


async def tags_of(
    items: Sequence[Item], info: strawberry.Info, with_gap: bool = False, fail: bool = False
) -> list[list[Tag]]:
    """Two tags an item; with a gap (a null no list of tags may hold) after item 2's."""
    if fail:
        raise BadUserInput("no tags today", argument="fail")
    BATCH_CALLS.append(len(items))
    return [
        [Tag(name=f"{item.id}-{n}", color=Color.RED) for n in range(2)]
        + ([None] if with_gap and item.id == "2" else [])  # type: ignore[list-item]
        for item in items
    ]


async def gappy_tags_of(items: Sequence[Item], info: strawberry.Info) -> list[list[Tag | None]]:
    return [[*tags, None] for tags in await tags_of(items, info)]


async def shouts_of(items: Sequence[Item], info: strawberry.Info) -> list[str | None]:
    return [item.name.upper() if item.id != "1" else None for item in items]


async def top_tags_of(items: Sequence[Item], info: strawberry.Info) -> list[Tag | None]:
    return [(await tags_of([item], info))[0][0] if item.id != "1" else None for item in items]


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Owner(EntityStub):
    """Another domain's entity, as rows name it."""

    id: strawberry.ID


async def row_labels_of(
    rows: Sequence[Row], info: strawberry.Info, fail: bool = False
) -> list[str]:
    """A batch reading nothing of its objects but their ids."""
    if fail:
        raise BadUserInput("no labels today", argument="fail")
    BATCH_CALLS.append(len(rows))
    return [f"{row.id}-a" for row in rows]


async def row_shouts_of(rows: Sequence[Row], info: strawberry.Info) -> list[str]:
    """A batch reading its objects' names alone."""
    return [f"{row.name.upper()}!" for row in rows]


@strawberry.federation.type(keys=["id"])
class Row:
    """A type read from rows (resolvers/columns.py), answered as ``ReadRows``."""

    id: strawberry.ID
    name: str
    color: Color
    owner: Owner | None

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field(metadata=batched(row_shouts_of, reads=("name",)))
    async def loud(self, info: strawberry.Info) -> str:
        return (await row_shouts_of([self], info))[0]

    @strawberry.field(metadata=batched(row_labels_of, by_id=True))
    async def label(self, info: strawberry.Info, fail: bool = False) -> str:
        return (await row_labels_of([self], info, fail))[0]

    @classmethod
    async def resolve_references(
        cls, info: strawberry.Info, representations: Sequence[dict[str, Any]]
    ) -> Sequence[Row | None]:
        return read_rows(*(None if r["id"] == "missing" else row(r["id"]) for r in representations))


@strawberry.federation.type(keys=["id"])
class Gadget:
    """Another type read from rows, for entity fetches of several types."""

    id: strawberry.ID
    name: str

    @classmethod
    async def resolve_references(
        cls, info: strawberry.Info, representations: Sequence[dict[str, Any]]
    ) -> Sequence[Gadget | None]:
        return GADGET_FIELDS.many(
            [GadgetRow(r["id"], f"gadget {r['id']}") for r in representations]
        )


# Rows as a loader reads them: named tuples of the columns asked for.
RowRow = namedtuple("RowRow", ["id", "owner_id", "color", "name"])
GadgetRow = namedtuple("GadgetRow", ["name", "id"])
OWNER = uuid.UUID("6b1f2c1e-57a5-4c1b-9b8e-0d6f3c2a1b00")
ROW_FIELDS = RowFields(
    Row,
    {
        "id": ("id", str),
        "name": "name",
        "color": ("color", Color),
        "owner": ("owner_id", Owner.ref),
    },
)
GADGET_FIELDS = RowFields(Gadget, {"id": "id", "name": "name"})
# Every ReadRows answered, to tell whether its objects were made.
READ: list[ReadRows[Any]] = []


ROW_ORDER = SortOrder(name="ID", columns=(column("id"),), descending=False)


def row(id: str, name: str | None = None, owner: uuid.UUID | None = OWNER) -> RowRow:
    return RowRow(id, owner, "red" if int(id) % 2 else "green", name or f"row {id}")


def read_rows(*rows: RowRow | None) -> ReadRows[Any]:
    read = ROW_FIELDS.many(rows)
    READ.append(read)
    return read


async def rows_of(items: Sequence[Item], info: strawberry.Info) -> list[Sequence[Row]]:
    return [read_rows(row("1"), row("2", owner=None)) for _ in items]


@strawberry.federation.type(keys=["id"])
class Item:
    id: strawberry.ID
    name: str
    label: str | None
    color: Color

    @strawberry.field
    async def children(self, last: int | None = None) -> list[Item]:
        await asyncio.sleep(0)
        kids = [make(f"{self.id}.{n}") for n in range(3)]
        return kids[-last:] if last else kids

    @strawberry.field
    def where(self, info: strawberry.Info) -> str:
        return ".".join(map(str, info.path.as_list()))

    @strawberry.field
    def shout(self, suffix: str = "!") -> str:
        return self.name.upper() + suffix

    @strawberry.field(metadata=batched(labels_of))
    async def labels(self, info: strawberry.Info, prefix: str = "") -> list[str]:
        return (await labels_of([self], info, prefix))[0]

    @strawberry.field(extensions=requires("incident:view"), metadata=batched(labels_of))
    async def guarded_labels(self, info: strawberry.Info) -> list[str]:
        return (await labels_of([self], info))[0]

    @strawberry.field(extensions=requires("item:audit"), metadata=batched(labels_of))
    async def audited_labels(self, info: strawberry.Info) -> list[str]:
        return (await labels_of([self], info))[0]

    @strawberry.field(
        extensions=[PermissionExtension([CountedView()])], metadata=batched(labels_of)
    )
    async def counted_labels(self, info: strawberry.Info) -> list[str]:
        return (await labels_of([self], info))[0]

    @strawberry.field(extensions=[PermissionExtension([OddOnly()])], metadata=batched(labels_of))
    async def odd_labels(self, info: strawberry.Info) -> list[str] | None:
        return (await labels_of([self], info))[0]

    @strawberry.field(metadata=batched(tags_of))
    async def tags(
        self, info: strawberry.Info, with_gap: bool = False, fail: bool = False
    ) -> list[Tag]:
        return (await tags_of([self], info, with_gap, fail))[0]

    @strawberry.field(metadata=batched(rows_of))
    async def rows(self, info: strawberry.Info) -> list[Row]:
        return list((await rows_of([self], info))[0])

    @strawberry.field(metadata=batched(shouts_of))
    async def shouted(self, info: strawberry.Info) -> str | None:
        return (await shouts_of([self], info))[0]

    @strawberry.field(metadata=batched(gappy_tags_of))
    async def gappy_tags(self, info: strawberry.Info) -> list[Tag | None]:
        return (await gappy_tags_of([self], info))[0]

    @strawberry.field(extensions=[PermissionExtension([OddOnly()])], metadata=batched(top_tags_of))
    async def top_tag(self, info: strawberry.Info) -> Tag | None:
        return (await top_tags_of([self], info))[0]

    @strawberry.field
    def tinted(self, color: Color = Color.RED) -> str:
        return f"{self.name} in {color.value}"

    @strawberry.field(extensions=requires("item:audit"))
    def audited(self) -> str:
        return "seen"

    @strawberry.field
    async def broken(self) -> str | None:
        raise RuntimeError("connection string with a password")

    @strawberry.field
    def required(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    async def secret(self) -> str | None:
        raise Forbidden("Missing permission item:secret")

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, id: strawberry.ID) -> Item | None:
        if id == "forbidden":
            raise Forbidden("Missing permission item:view")
        return None if id == "missing" else make(id)


@strawberry.federation.type(keys=["id"])
class Part:
    """An entity resolved many at a time (resolve_references), as OpsGraph's are."""

    id: strawberry.ID

    @strawberry.field(extensions=requires("incident:view"), metadata=batched(labels_of))
    async def labels(self, info: strawberry.Info) -> list[str]:
        return (await labels_of([self], info))[0]  # type: ignore[list-item]

    @classmethod
    async def resolve_references(
        cls, info: strawberry.Info, representations: Sequence[dict[str, Any]]
    ) -> list[Part | None]:
        return [None if r["id"] == "missing" else Part(id=r["id"]) for r in representations]


def make(id: str) -> Item:
    return Item(id=strawberry.ID(id), name=f"item {id}", label=None, color=Color.GREEN)


@strawberry.type
class Box:
    item: Item | None


@strawberry.input
class Picking:
    ids: list[strawberry.ID]
    colors: list[Color] | None = None
    loud: bool = False


@strawberry.type
class Query:
    @strawberry.field
    def items(self, first: int) -> list[Item]:
        return [make(str(n)) for n in range(first)]

    @strawberry.field
    def picked(self, pick: Picking, also: list[Picking] | None = None) -> list[str]:
        """Changes its input, which must reach neither the next request nor the next call."""
        picks = [pick, *(also or ())]
        found = [
            f"{id}:{','.join(c.value for c in p.colors or ())}:{p.loud}"
            for p in picks
            for id in p.ids
        ]
        for p in picks:
            p.ids.append(strawberry.ID("changed"))
            p.loud = not p.loud
        return found

    @strawberry.field
    def boxes(self, first: int) -> list[Box]:
        return [Box(item=make(f"box{n}") if n else None) for n in range(first)]

    @strawberry.field
    async def item(self, id: strawberry.ID) -> Item | None:
        return None if id == "missing" else make(id)

    @strawberry.field
    async def strict(self) -> Item:
        return make("strict")

    @strawberry.field
    def odd_items(self) -> list[Item | None]:
        """Items whose plain fields are not plain after all, among plain ones."""
        nameless = Item(id=strawberry.ID("2"), name=None, label=None, color=Color.RED)  # type: ignore[arg-type]
        purple = Item(id=strawberry.ID("3"), name="x", label="y", color="purple")  # type: ignore[arg-type]
        return [make("1"), None, nameless, purple, make("4")]

    @strawberry.field
    def required_items(self) -> list[Item]:
        return [make("a"), None]  # type: ignore[list-item]

    @strawberry.field
    def rows(self) -> list[Row]:
        return read_rows(row("1"), row("2", owner=None), row("3"))  # type: ignore[return-value]

    @strawberry.field
    def gappy_rows(self) -> list[Row | None]:
        return read_rows(row("1"), None, row("3"))  # type: ignore[return-value]

    @strawberry.field
    def required_rows(self) -> list[Row]:
        return read_rows(row("1"), None)  # type: ignore[return-value]

    @strawberry.field
    def nameless_rows(self) -> list[Row]:
        return read_rows(row("1"), RowRow("2", None, "red", None))  # type: ignore[return-value]

    @strawberry.field
    def row_page(self, nameless: bool = False) -> Connection[Row]:
        rows = [row("11"), row("12", owner=None), row("13")]
        if nameless:
            rows.append(RowRow("14", None, "red", None))

        async def count() -> int:
            return len(rows)

        page = PageRequest(size=10, cursor=None, backward=False)
        connection = build_connection(rows, ROW_ORDER, page, ROW_FIELDS, count)
        READ.append(connection.edges)  # type: ignore[arg-type]
        return connection


@strawberry.type
class Mutation:
    @strawberry.mutation
    def touch(self) -> bool:
        return True

    @strawberry.mutation
    async def append(self, info: strawberry.Info, value: str) -> list[str]:
        """The request's log after adding ``value``; the first call of a request is the
        slowest, so run together the calls would append out of order."""
        log = info.context.log
        await asyncio.sleep(0.01 if not log else 0)
        log.append(value)
        return list(log)

    @strawberry.mutation
    def fail(self) -> bool:
        raise BadUserInput("refused", argument="value")

    @strawberry.mutation
    def maybe_fail(self) -> bool | None:
        raise BadUserInput("refused", argument="value")

    @strawberry.mutation
    def make_item(self, id: strawberry.ID) -> Item:
        return make(id)


schema = subgraph_schema(query=Query, mutation=Mutation, types=[Item, Part, Row, Gadget])


@dataclass
class Context:
    request_id: str = "req-1"
    debug: bool = False
    principal: Principal = field(
        default_factory=lambda: REGISTRY.roles.principal(uuid.uuid4(), frozenset({"viewer"}))
    )
    log: list[str] = field(default_factory=list)  # what the request's mutations appended


COVERED = {
    "plain fields, aliases, fragments, __typename": (
        """query($n: Int!) { items(first: $n) { __typename id name label color
             ...F alias: name tinted(color: GREEN) } } fragment F on Item { shout(suffix: "?") }""",
        {"n": 3},
    ),
    "input objects, enums in them, lists of them, defaults, from variables and literals": (
        """query($p: Picking!) { picked(pick: $p) again: picked(pick: $p)
             other: picked(pick: {ids: [3]}, also: [{ids: [4], colors: [GREEN], loud: true}]) }""",
        {"p": {"ids": ["1", "2"], "colors": ["RED", "GREEN"]}},
    ),
    "plain objects (generated completion), nested, nullable": (
        "{ items(first: 2) { __typename id name label color } boxes(first: 3) { item { id } } }",
        None,
    ),
    "plain objects that are not: a null in a non-null field, a colour no enum has": (
        "{ oddItems { id name color } }",
        None,
    ),
    "async resolvers with arguments, nested": (
        "{ items(first: 2) { children(last: 2) { id children { name where } } } }",
        None,
    ),
    "an unexpected error is masked, the field null": (
        "{ item(id: 7) { name broken } }",
        None,
    ),
    "batched fields, on list elements and through plain fields": (
        '{ items(first: 3) { id labels(prefix: "x") } boxes(first: 3) { item { labels } } }',
        None,
    ),
    "batched fields of plain objects (generated completion), through plain fields": (
        "{ items(first: 3) { id tags { name color } topTag { name } gappyTags { name } shouted } "
        "boxes(first: 3) { item { tags { name } } } }",
        None,
    ),
    "a batched list of plain objects holding a null it may not": (
        "{ items(first: 3) { id tags(withGap: true) { name } } }",
        None,
    ),
    "a batch of plain objects that fails: an error at every object": (
        "{ boxes(first: 3) { item { id tags(fail: true) { name } } } }",
        None,
    ),
    "entities of plain objects with batched fields (generated completion per type)": (
        """query($r: [_Any!]!) { _entities(representations: $r) {
             ... on Item { __typename id tags { name } } ... on Part { id } } }""",
        {
            "r": [
                {"__typename": "Part", "id": "1"},
                {"__typename": "Item", "id": "1"},
                {"__typename": "Part", "id": "missing"},
                {"__typename": "Item", "id": "2"},
            ]
        },
    ),
    "a batch that fails is an error at every object": (
        '{ items(first: 2) { id labels(prefix: "bad") } item(id: 5) { labels } }',
        None,
    ),
    "an OpsGraph error keeps its code": ("{ item(id: 7) { secret name } }", None),
    "a field extension still runs (the permission check)": ("{ item(id: 7) { audited } }", None),
    "a batched field behind a permission check the caller passes": (
        "{ items(first: 3) { id guardedLabels } }",
        None,
    ),
    "a batched field behind a permission check the caller fails: an error per object": (
        "{ items(first: 3) { id auditedLabels } }",
        None,
    ),
    "a batched field behind a check that depends on the object: refused where it fails": (
        "{ items(first: 4) { id oddLabels } }",
        None,
    ),
    "a batched field of entities": (
        """query($r: [_Any!]!) { _entities(representations: $r) {
             ... on Item { id guardedLabels } ... on Part { id labels } } }""",
        {
            "r": [
                {"__typename": "Part", "id": "1"},
                {"__typename": "Item", "id": "1"},
                {"__typename": "Part", "id": "missing"},
                {"__typename": "Part", "id": "2"},
            ]
        },
    ),
    "null in a non-null field nulls the nullable parent": (
        "{ item(id: 7) { name required } }",
        None,
    ),
    "null propagates up to data": ("{ strict { required } }", None),
    "null in an object a plain field holds nulls that field": (
        "{ boxes(first: 3) { item { id required } } }",
        None,
    ),
    "null in a list element of non-null objects nulls the list's parent": (
        "{ items(first: 2) { id required } }",
        None,
    ),
    "a null item in a list of non-null items": ("{ requiredItems { id } }", None),
    "a missing object": ('{ item(id: "missing") { name } }', None),
    "a mutation": ("mutation { touch }", None),
    "mutations run one after the other": (
        'mutation { a: append(value: "a") b: append(value: "b") c: append(value: "c") }',
        None,
    ),
    "a nullable mutation's error: the next one still runs": (
        'mutation { maybeFail append(value: "after") }',
        None,
    ),
    "a non-null mutation's error ends the operation there": (
        'mutation { append(value: "a") fail again: append(value: "b") }',
        None,
    ),
    "a mutation's object, its batched field": (
        'mutation { makeItem(id: "5") { id name labels } }',
        None,
    ),
    "rows completed from the rows (no objects): columns, conversions, stubs, aliases": (
        """{ rows { __typename id name color owner { __typename id } again: name
             o: owner { id } } }""",
        None,
    ),
    "rows where a selected field has a resolver: completed from their objects": (
        "{ rows { id shout owner { id } } }",
        None,
    ),
    "rows with a missing one, in a nullable list and in a non-null one": (
        "{ gappyRows { id name } requiredRows { id } }",
        None,
    ),
    "rows with a null in a non-null column: completed from their objects, as errors": (
        "{ namelessRows { id name } }",
        None,
    ),
    "a batched list answered as rows": (
        "{ items(first: 2) { id rows { id color owner { id } } } }",
        None,
    ),
    "entities answered as rows, of several types, one missing": (
        """query($r: [_Any!]!) { _entities(representations: $r) {
             ... on Row { __typename id name owner { id } } ... on Gadget { id name } } }""",
        {
            "r": [
                {"__typename": "Gadget", "id": "g1"},
                {"__typename": "Row", "id": "1"},
                {"__typename": "Row", "id": "missing"},
                {"__typename": "Row", "id": "2"},
            ]
        },
    ),
    "a page read from rows: edges, nodes, stubs, a batch by id, the page's cursors": (
        """{ rowPage { edges { __typename node { __typename id name owner { id } label } }
             pageInfo { hasNextPage startCursor endCursor } totalCount } }""",
        None,
    ),
    "rows with batches reading their names and ids, of entities of several types": (
        """query($r: [_Any!]!) { rows { loud label } _entities(representations: $r) {
             ... on Row { id loud label } ... on Gadget { name } } }""",
        {"r": [{"__typename": "Row", "id": "5"}, {"__typename": "Gadget", "id": "g"}]},
    ),
    "a page's edges' cursors (a resolver): completed from the objects": (
        "{ rowPage { edges { cursor node { id label } } } }",
        None,
    ),
    "a page with a null in a non-null column: from the objects, the batch's answers kept": (
        "{ rowPage(nameless: true) { edges { node { id name label } } } }",
        None,
    ),
    "a batch by id failing on a page read from rows: an error at every object": (
        "{ rowPage { edges { node { id label(fail: true) } } } }",
        None,
    ),
    "entities keep their order; refusals are errors at their index": (
        """query($r: [_Any!]!) { _entities(representations: $r) { ... on Item { id name } } }""",
        {
            "r": [
                {"__typename": "Item", "id": "1"},
                {"__typename": "Item", "id": "forbidden"},
                {"__typename": "Item", "id": "missing"},
            ]
        },
    ),
}

NOT_COVERED = {
    "a directive": ("query($x: Boolean!) { item(id: 1) { name @include(if: $x) } }", {"x": True}),
    "introspection": ("{ __schema { queryType { name } } }", None),
    "an invalid document": ("{ item(id: 1) { nope } }", None),
    "a syntax error": ("{ item(", None),
    "bad variables": ("query($n: Int!) { items(first: $n) { id } }", {"n": "many"}),
    "NUL in a variable": ("query($id: ID!) { item(id: $id) { id } }", {"id": "a\x00"}),
    "NUL in a literal": ('{ item(id: "a\\u0000") { id } }', None),
}


async def normal(query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
    result = await schema.execute(query, variable_values=variables, context_value=Context())
    response: dict[str, Any] = {"data": result.data}
    if result.errors:
        response["errors"] = [error.formatted for error in result.errors]
    return response


def by_path(response: dict[str, Any]) -> dict[str, Any]:
    errors = sorted(response.get("errors", []), key=lambda e: str(e.get("path")))
    return {**response, "errors": errors}


@pytest.mark.parametrize("case", COVERED)
async def test_answers_like_the_normal_executor(case: str) -> None:
    query, variables = COVERED[case]
    expected = by_path(await normal(query, copy.deepcopy(variables)))
    for _ in range(2):  # the second with what the first compiled and converted
        # Copies: entities_resolver consumes its representations' __typename.
        compiled = await schema.compiled.execute(query, copy.deepcopy(variables), None, Context())
        assert compiled is not None
        assert by_path(compiled) == expected


async def test_masked_errors_name_the_request() -> None:
    compiled = await schema.compiled.execute("{ item(id: 7) { broken } }", None, None, Context())
    assert compiled == {
        "data": {"item": {"broken": None}},
        "errors": [
            {
                "message": "Internal server error",
                "locations": [{"line": 1, "column": 17}],
                "path": ["item", "broken"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-1"},
            }
        ],
    }


@pytest.mark.parametrize("case", NOT_COVERED)
async def test_leaves_the_rest_to_the_normal_executor(case: str) -> None:
    query, variables = NOT_COVERED[case]
    assert await schema.compiled.execute(query, variables, None, Context()) is None


def test_resolvers_are_called_directly_unless_strawberry_must_extend() -> None:
    """Strawberry's per-call wrapper is skipped where it would do nothing but a permission
    check and the conversion of arguments (enums, inputs), which the direct call makes as
    Strawberry does: no other field extension."""
    query = "{ item(id: 1) { shout where children { id } tinted audited } }"  # audited: a check
    plan = compile_operation(schema._schema, parse(query), None)
    assert plan is not None
    (item,) = plan.root.fields
    assert item.type is not None
    direct = {field.key: field.direct is not None for field in item.type.fields}
    assert direct == {
        "shout": True,
        "where": True,
        "children": True,
        "tinted": True,
        "audited": True,
    }


async def test_a_batched_field_is_resolved_once_per_list() -> None:
    BATCH_CALLS.clear()
    query = (
        "{ items(first: 4) { labels } boxes(first: 3) { item { labels } } item(id: 1) { labels } }"
    )
    compiled = await schema.compiled.execute(query, None, None, Context())
    assert compiled is not None and "errors" not in compiled
    # items: one call for 4; boxes: one for the 2 boxes holding an item; the single item
    # goes through the field's own resolver (a batch of one).
    assert sorted(BATCH_CALLS) == [1, 2, 4]
    assert compiled["data"]["boxes"][1] == {"item": {"labels": ["box1-a", "box1-b"]}}


async def test_a_batched_field_of_entities_is_resolved_once_for_all_that_pass_its_check() -> None:
    BATCH_CALLS.clear()
    representations = [{"__typename": "Part", "id": str(n)} for n in range(5)]
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Part { labels } } }"
    compiled = await schema.compiled.execute(query, {"r": representations}, None, Context())
    assert compiled is not None and "errors" not in compiled
    assert BATCH_CALLS == [5]
    refused = await schema.compiled.execute(
        "{ items(first: 4) { auditedLabels } }", None, None, Context()
    )
    assert refused is not None and BATCH_CALLS == [5]  # no batch for objects all refused
    assert {e["extensions"]["code"] for e in refused["errors"]} == {"FORBIDDEN"}


async def test_a_batch_is_checked_once_unless_the_check_depends_on_the_object() -> None:
    CHECKS.clear()
    BATCH_CALLS.clear()
    counted = await schema.compiled.execute(
        "{ items(first: 4) { countedLabels } }", None, None, Context()
    )
    assert counted is not None and "errors" not in counted
    assert (CHECKS, BATCH_CALLS) == (["0"], [4])
    CHECKS.clear()
    BATCH_CALLS.clear()
    odd = await schema.compiled.execute("{ items(first: 4) { oddLabels } }", None, None, Context())
    assert odd is not None and (CHECKS, BATCH_CALLS) == (["0", "1", "2", "3"], [2])
    assert [e["path"] for e in odd["errors"]] == [
        ["items", 0, "oddLabels"],
        ["items", 2, "oddLabels"],
    ]


async def test_representations_are_taken_as_given_not_coerced_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    any_type = schema._schema.get_type("_Any")
    assert isinstance(any_type, GraphQLScalarType)
    parsed: list[Any] = []
    parse = any_type.coerce_input_value
    monkeypatch.setattr(
        any_type, "coerce_input_value", lambda value: parsed.append(value) or parse(value)
    )
    executor = CompiledExecutor(schema._schema)
    parsed.clear()  # the executor's probe
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Part { id } } }"
    representations = [{"__typename": "Part", "id": str(n)} for n in range(3)]
    answer = await executor.execute(query, {"r": representations}, None, Context())
    assert parsed == []
    assert answer == {"data": {"_entities": [{"id": "0"}, {"id": "1"}, {"id": "2"}]}}
    # Anything but a list of objects is coerced as before: a null item is refused.
    assert await executor.execute(query, {"r": [None]}, None, Context()) is None
    assert await executor.execute(query, {"r": {"__typename": "Part", "id": "7"}}, None, Context())
    assert parsed == [{"__typename": "Part", "id": "7"}]


def test_plain_objects_get_a_generated_completion_others_the_general_one() -> None:
    query = """{ boxes(first: 2) { item { id name color } } items(first: 1) { id shout }
                 tagged: items(first: 1) { id tags { name } gappyTags { name } shouted } }"""
    compiled = compile_operation(schema._schema, parse(query), None)
    assert compiled is not None
    box, item, tagged = (_element(field.type) for field in compiled.root.fields)
    assert box.build is not None
    assert box.build(Box(item=make("7")), {}) == {
        "item": {"id": "7", "name": "item 7", "color": "GREEN"}
    }
    assert item.build is None  # shout has a resolver
    # A batched field reads what its batch resolved for the object; unresolved, the
    # general completion answers.
    assert tagged.build is not None
    tags, gappy, shouted = (field for field in tagged.fields if field.key != "id")
    source, tag = make("7"), Tag(name="t", color=Color.RED)
    found = {
        id(tags): {id(source): (source, [tag])},
        id(gappy): {id(source): (source, [None])},
        id(shouted): {id(source): (source, "ITEM 7")},
    }
    assert tagged.build(source, found) == {
        "id": "7",
        "tags": [{"name": "t"}],
        "gappyTags": [None],
        "shouted": "ITEM 7",
    }
    with pytest.raises(KeyError):  # no batch resolved tags
        tagged.build(source, {})
    entities = """query($r: [_Any!]!) { _entities(representations: $r) {
                    ... on Item { id tags { name } } ... on Part { id } } }"""
    compiled = compile_operation(schema._schema, parse(entities), None)
    assert compiled is not None
    union = _element(compiled.root.fields[0].type)
    assert union.kind is Kind.ABSTRACT and union.builds is not None
    assert set(union.builds) == {"Item", "Part", "Row", "Gadget", "Owner"}


async def test_rows_complete_without_their_objects_where_every_field_is_a_column() -> None:
    """A list answered as ``ReadRows`` completes from the rows (resolvers/executor/
    builders.py) when every selected field is a plain column or a stub; else, and for
    the normal executor, from the objects made of them."""
    for query, made in (
        ("{ rows { id name color owner { id } } }", False),
        ("{ items(first: 2) { rows { id owner { __typename id } } } }", False),
        ("{ rows { id shout } }", True),
        ("{ namelessRows { id name } }", True),
    ):
        READ.clear()
        answer = await schema.compiled.execute(query, None, None, Context())
        assert answer is not None and READ
        assert {read._objects is not None for read in READ} == {made}, query
    for query, made, batches in (
        ("{ rowPage { edges { node { id owner { id } label } } } }", False, [3]),
        ("{ rows { loud label } }", False, [3]),
        ("{ rowPage { edges { cursor node { id label } } } }", True, [3]),
        ("{ rowPage(nameless: true) { edges { node { id name label } } } }", True, [4]),
    ):
        READ.clear()
        BATCH_CALLS.clear()
        answer = await schema.compiled.execute(query, None, None, Context())
        assert answer is not None and READ
        assert {read._objects is not None for read in READ} == {made}, query
        assert batches == BATCH_CALLS, query  # once for the page, from the rows or not
    READ.clear()
    await normal("{ rows { id name } }", None)
    assert READ[0]._objects is not None
    first = await schema.compiled.execute("{ rows { id owner { id } } }", None, None, Context())
    assert first == {
        "data": {
            "rows": [
                {"id": "1", "owner": {"id": str(OWNER)}},
                {"id": "2", "owner": None},
                {"id": "3", "owner": {"id": str(OWNER)}},
            ]
        }
    }


def _element(plan: TypePlan | None) -> TypePlan:
    """The object type of a (list, non-null) type plan."""
    while plan is not None and plan.kind in (Kind.NON_NULL, Kind.LIST):
        plan = plan.inner
    assert plan is not None
    return plan


async def test_mutations_run_one_after_the_other_and_stop_at_a_non_null_error() -> None:
    context = Context()
    answer = await schema.compiled.execute(
        'mutation { a: append(value: "a") fail b: append(value: "b") }', None, None, context
    )
    assert answer is not None and answer["data"] is None
    assert [error["path"] for error in answer["errors"]] == [["fail"]]
    assert context.log == ["a"]  # b never ran
    context = Context()
    answer = await schema.compiled.execute(
        'mutation { a: append(value: "a") b: append(value: "b") }', None, None, context
    )
    assert answer == {"data": {"a": ["a"], "b": ["a", "b"]}}
