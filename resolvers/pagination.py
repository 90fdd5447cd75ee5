"""Relay-style connections over keyset pagination.

Cursors encode the sort order and the sort-key values of a row (never an OFFSET), so a page
is one indexed range scan however deep it is, and rows inserted while a client pages never
cause duplicates or gaps. The cursor is opaque to clients: base64url of compact JSON."""

from __future__ import annotations

import base64
import binascii
import functools
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
import strawberry
from sqlalchemy import ColumnElement, Select, bindparam, func, select, tuple_

from db.scope import RequestDatabase
from resolvers.built_statements import derived
from resolvers.columns import WHOLE_ROW, Columns, RowFields, chosen_columns
from resolvers.errors import BadUserInput
from resolvers.loaders import TENANT

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@strawberry.input(
    description="Which slice of a list to return: `first`/`after` pages forward, "
    "`last`/`before` pages backward. Cursors come from `edges.cursor` and "
    "`pageInfo`."
)
class Pagination:
    first: int | None = strawberry.field(
        default=None,
        description=f"Page size going forward (default {DEFAULT_PAGE_SIZE}, "
        f"at most {MAX_PAGE_SIZE}).",
    )
    after: str | None = strawberry.field(
        default=None, description="Return items after this cursor."
    )
    last: int | None = strawberry.field(
        default=None, description=f"Page size going backward (at most {MAX_PAGE_SIZE})."
    )
    before: str | None = strawberry.field(
        default=None, description="Return items before this cursor."
    )


def _start_cursor(root: Any) -> str | None:
    """The first edge's cursor, encoded only when asked for."""
    return row_cursor(root.order, root.rows[0]) if root.rows else None


def _end_cursor(root: Any) -> str | None:
    """The last edge's cursor, encoded only when asked for."""
    return row_cursor(root.order, root.rows[-1]) if root.rows else None


# Every subgraph that lists things has a PageInfo: Federation 2 requires value types that
# several subgraphs define to be shareable.
@strawberry.federation.type(shareable=True, description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(
        resolver=_start_cursor, description="Cursor of the first edge."
    )
    end_cursor: str | None = strawberry.field(
        resolver=_end_cursor, description="Cursor of the last edge."
    )
    # The page's rows and order, whose cursors these are.
    rows: strawberry.Private[Sequence[Any]]
    order: strawberry.Private[SortOrder]


@dataclass(frozen=True)
class SortOrder:
    """A named, total order: sort columns ending in a unique column, all one direction."""

    name: str
    columns: tuple[Any, ...]
    descending: bool


def _edge_cursor(root: Any) -> str:
    """An edge's cursor, encoded only when asked for: most pages select no edge's cursor."""
    return root.encoded_cursor()


@strawberry.type(description="An item of a page with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(
        resolver=_edge_cursor, description="Opaque position of this item in the list."
    )
    node: T = strawberry.field(description="The item.")
    order: strawberry.Private[SortOrder]
    row: strawberry.Private[Any]

    def encoded_cursor(self) -> str:
        return row_cursor(self.order, self.row)


@strawberry.type(description="A page of a list.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Cursors and neighbours of this page.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items match, across all pages.")
    async def total_count(self) -> int:
        return await self.count()


@dataclass(frozen=True)
class PageRequest:
    size: int
    cursor: str | None
    backward: bool

    @classmethod
    def from_input(cls, pagination: Pagination | None) -> PageRequest:
        """Validate the client's pagination argument (BAD_USER_INPUT when it makes no sense)."""
        p = pagination or Pagination()
        if p.first is not None and p.last is not None:
            raise BadUserInput("Pass either `first` or `last`, not both", argument="pagination")
        if (p.after is not None and p.last is not None) or (
            p.before is not None and p.first is not None
        ):
            raise BadUserInput(
                "Use `first` with `after` and `last` with `before`", argument="pagination"
            )
        if p.after is not None and p.before is not None:
            raise BadUserInput("Pass either `after` or `before`, not both", argument="pagination")
        backward = p.last is not None or p.before is not None
        size = p.last if backward else p.first
        if size is None:
            size = DEFAULT_PAGE_SIZE
        if not 0 <= size <= MAX_PAGE_SIZE:
            raise BadUserInput(
                f"Page size must be between 0 and {MAX_PAGE_SIZE}, got {size}",
                argument="pagination",
            )
        return cls(size=size, cursor=p.before if backward else p.after, backward=backward)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def row_cursor(order: SortOrder, row: Any) -> str:
    """The cursor of ``row`` (holding ``order``'s columns) in ``order``."""
    return encode_cursor(order, [getattr(row, column.key) for column in order.columns])


def encode_cursor(order: SortOrder, values: Sequence[Any]) -> str:
    raw = orjson.dumps([order.name, [_plain(v) for v in values]])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(order: SortOrder, cursor: str) -> list[Any]:
    """Values of a cursor made for `order`, typed like its columns; BAD_USER_INPUT otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, values = orjson.loads(raw)
        if name != order.name:
            raise BadUserInput(
                f"This cursor belongs to the order {name}, not {order.name}", argument="cursor"
            )
        if len(values) != len(order.columns):
            raise ValueError(cursor)
        return [_typed(column, value) for column, value in zip(order.columns, values, strict=True)]
    except BadUserInput:
        raise
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise BadUserInput("Invalid cursor", argument="cursor") from None


def _typed(column: Any, value: Any) -> Any:
    python_type = column.type.python_type
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is uuid.UUID:
        return uuid.UUID(value)
    if python_type is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if python_type is str and isinstance(value, str):
        return value
    raise ValueError(value)


@functools.lru_cache(maxsize=256)
def tenant_rows(table: Any, columns: Columns) -> Select[Any]:
    """The ``columns`` of ``table``'s rows of the request's tenant (``chosen_columns``), the
    tenant a bound parameter ``paginate`` gives: a list's statement built once per column
    set, so that a request adds only its filter and its page to it. Building the select and
    comparing the mapped ``tenant_id`` cost as much as the rest of a page's statement (and
    its cache key) together, 100-170 µs a list on these machines."""
    return select(*chosen_columns(table, columns)).where(
        table.__table__.c.tenant_id == bindparam(TENANT)
    )


def page_query(query: Select[Any], order: SortOrder, page: PageRequest) -> Select[Any]:
    """`query` narrowed to one page (plus one row to tell whether more follow)."""
    query, ordering = _from_cursor(query, order, page)
    return query.order_by(*ordering).limit(page.size + 1)


def page_per_key(
    query: Select[Any], key: ColumnElement[Any], order: SortOrder, page: PageRequest
) -> Select[Any]:
    """`page_query` for many lists in one statement: the rows of `query` split by `key` (one
    list per value), one page of each (plus one row), ordered by `key`, then in page order.
    Every list gets the same page (size, cursor), as the same field of many objects does."""
    query, ordering = _from_cursor(query, order, page)
    rank = func.row_number().over(partition_by=key, order_by=ordering).label("page_rank")
    ranked = query.add_columns(rank).subquery("ranked")
    return (
        select(ranked)
        .where(ranked.c.page_rank <= page.size + 1)
        .order_by(ranked.c[key.key], ranked.c.page_rank)  # type: ignore[index]
    )


def _from_cursor(
    query: Select[Any], order: SortOrder, page: PageRequest
) -> tuple[Select[Any], list[Any]]:
    """`query` narrowed to the rows after the page's cursor, and the page's ordering."""
    # Paging backward reads the list in reverse and flips the page back afterwards.
    descending = order.descending != page.backward
    if page.cursor is not None:
        key = tuple_(*order.columns)
        values = tuple_(*decode_cursor(order, page.cursor))
        query = query.where(key < values if descending else key > values)
    return query, [c.desc() if descending else c.asc() for c in order.columns]


def build_connection(
    rows: Sequence[Any],
    order: SortOrder,
    page: PageRequest,
    node: Callable[[Any], T] | RowFields[T],
    count: Callable[[], Awaitable[int]],
) -> Connection[T]:
    """Turn the rows fetched by `page_query` into a Connection; nodes read by ``node``'s
    ``RowFields`` make edges read from the rows too (``ReadRows``: the compiled executor
    completes them from the rows, resolvers/executor/builders.py)."""
    has_more = len(rows) > page.size
    rows = list(rows[: page.size])
    if page.backward:
        rows.reverse()
    edges: Sequence[Edge[T]]
    if isinstance(node, RowFields):
        edges = edge_fields(node, order).many(rows)
    else:
        edges = [Edge(order=order, row=r, node=node(r)) for r in rows]
    return Connection(
        edges=edges,  # type: ignore[arg-type]
        page_info=PageInfo(
            has_next_page=has_more if not page.backward else page.cursor is not None,
            has_previous_page=has_more if page.backward else page.cursor is not None,
            rows=rows,
            order=order,
        ),
        count=count,
    )


@functools.lru_cache(maxsize=256)
def edge_fields(node: RowFields[T], order: SortOrder) -> RowFields[Edge[T]]:
    """How the edges of ``node``'s rows in ``order`` are read from the rows: the node read
    by ``node``, the row itself, the order."""
    return RowFields(
        Edge,
        {"node": node, "row": (WHOLE_ROW, None)},
        always=(),
        constants={"order": order},
        type_name=f"{node.type_name}Edge",
    )


def count_query(query: Select[Any]) -> Select[Any]:
    """COUNT(*) over the filtered (unpaged, unordered) query."""
    return select(func.count()).select_from(query.order_by(None).subquery())


async def paginate(
    db: RequestDatabase,
    query: Select[Any],
    order: SortOrder,
    pagination: Pagination | None,
    node: Callable[[Any], T] | RowFields[T],
) -> Connection[T]:
    """One page of the rows `query` selects, in `order`; `totalCount` is counted only if
    the client asks for it."""
    page = PageRequest.from_input(pagination)
    tenant = {TENANT: db.tenant_id}  # for a query from ``tenant_rows``
    # Built once per query, order and page (resolvers/built_statements.py).
    rows = await db.rows(derived(query, page_query, order, page), tenant)

    async def count() -> int:
        return int((await db.rows(derived(query, count_query), tenant))[0][0])

    return build_connection(rows, order, page, node, count)
