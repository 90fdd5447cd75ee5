"""Entity references: resolved in batches (`_entities` hands every representation of one type
to one `resolve_references` call: one loader batch, no coroutine per representation), and
checked before a domain stores another domain's ids (`require_references`)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Protocol, Self, TypeVar

import strawberry

from resolvers.columns import RowFields
from resolvers.errors import NotFound, OpsGraphError, ServiceUnavailable
from resolvers.loaders import RowByKeyLoader, load_by_ids
from resolvers.node_interface import Node
from resolvers.permissions import check

T = TypeVar("T")

# Per type, how `by_id` makes an instance of it from an id.
_MAKERS: dict[type, Callable[[str], Any]] = {}


def by_id(cls: type[T], id: str) -> T:
    """An instance of ``cls`` holding ``id``: for a dataclass whose only field is ``id`` (an
    entity's stub, another domain's entity this one extends), its ``__dict__`` filled as its
    ``__init__`` would, without the keyword call — a page makes hundreds, a blast radius
    thousands; any other type through its ``__init__``."""
    return _maker(cls)(id)  # type: ignore[no-any-return]


def by_ids(cls: type[T], ids: Iterable[str]) -> list[T]:
    """``by_id`` of each id, the type looked at once (an entity fetch's thousands)."""
    return list(map(_maker(cls), ids))


def _maker(cls: type) -> Callable[[str], Any]:
    """How ``by_id`` makes instances of ``cls``, decided once per type and kept."""
    found = _MAKERS.get(cls)
    if found is not None:
        return found
    fields = dataclasses.fields(cls) if dataclasses.is_dataclass(cls) else ()
    id_only = (
        [(f.name, f.init) for f in fields] == [("id", True)]
        and not hasattr(cls, "__post_init__")
        and "__slots__" not in vars(cls)
    )
    if not id_only:
        _MAKERS[cls] = maker = lambda id: cls(id=id)
        return maker
    new = object.__new__

    def made(id: str) -> Any:
        instance: Any = new(cls)
        instance.__dict__ = {"id": id}
        return instance

    _MAKERS[cls] = made
    return made


class EntityStub(Node):
    """Another domain's entity as a subgraph stores it: the subclass, a Strawberry type with
    `@key(fields: "id", resolvable: false)`, declares `id` and nothing more; the router asks
    the owning subgraph for every other field. Every entity is a `Node`, its stubs too (the
    router never asks a subgraph to refetch a type it cannot resolve by key)."""

    @classmethod
    def ref(cls, id: uuid.UUID | None) -> Self | None:
        """The stub of the entity with this id; None for no id."""
        return by_id(cls, str(id)) if id else None


class ReferencedById:
    """An entity keyed by `id`, read with `reference_loader` under `reference_permission`,
    only the columns its selection needs (`row_fields`).

    `resolve_references` answers positionally, None where no row matches (a malformed id
    included); `resolve_reference` is the same for one id, for `user(id:)`-style fields."""

    reference_permission: ClassVar[str]
    reference_loader: ClassVar[type[RowByKeyLoader[Any]]]
    row_fields: ClassVar[RowFields[Any]]

    @classmethod
    def from_row(cls, row: Any) -> Self:
        """The entity from its row (any column set a loader read)."""
        return cls.row_fields.read(row)  # type: ignore[no-any-return]

    @classmethod
    async def resolve_references(
        cls, info: strawberry.Info, representations: Sequence[Mapping[str, Any]]
    ) -> Sequence[Self | None]:
        check(info.context.principal, cls.reference_permission)
        columns = cls.row_fields.columns(info)
        if columns == cls.row_fields.always:
            # Whether they exist, nothing more (`require_references`): read whole, so that
            # what the request asks of them next (an assignee's name, once assigned) comes
            # from the loader rather than from another transaction.
            columns = None
        rows = await load_by_ids(
            info.context, cls.reference_loader, [r.get("id") for r in representations], columns
        )
        return cls.row_fields.many(rows)

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, id: strawberry.ID) -> Self | None:
        return (await cls.resolve_references(info, [{"id": id}]))[0]


class Presence(Protocol):
    """The owner's answer (router/references.py): per id whether it exists, or why not."""

    @property
    def exists(self) -> list[bool] | None: ...

    @property
    def errors(self) -> list[dict[str, Any]]: ...


EntityPresence = Callable[[str, Sequence[str], object], Awaitable[Presence]]
"""`presence(type_name, ids, context)`: asks the subgraph that owns `type_name`, with the
request's context, which ids name one of its entities (router/references.py)."""


class ReferenceCheckFailed(OpsGraphError):
    """The owner of the referenced type could not answer; its code says why."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        code = (error.get("extensions") or {}).get("code") or "INTERNAL_SERVER_ERROR"
        super().__init__(str(error.get("message", "Reference check failed")))
        self.extensions = {"code": code}


async def require_references(
    info: strawberry.Info, type_name: str, ids: Mapping[str, uuid.UUID | None]
) -> None:
    """Refuse ids (by the argument that sent them) naming no `type_name` the caller may see in
    its tenant: NOT_FOUND naming the first such argument. Every domain checks the ids it will
    store for another domain's entities this way, before writing anything: one batched entity
    fetch to the owning subgraph (``Context.entity_presence``, injected by the router process;
    without it — a subgraph served alone — nothing can be checked: SERVICE_UNAVAILABLE)."""
    given = {argument: id for argument, id in ids.items() if id is not None}
    if not given:
        return
    presence = info.context.entity_presence
    if presence is None:
        raise ServiceUnavailable(
            f"References to {type_name} cannot be checked where this subgraph runs alone; "
            "send the request through the router"
        )
    distinct = list(dict.fromkeys(str(id) for id in given.values()))
    answer = await presence(type_name, distinct, info.context)
    if answer.exists is None:
        raise ReferenceCheckFailed(answer.errors[0] if answer.errors else {})
    found = dict(zip(distinct, answer.exists, strict=True))
    for argument, id in given.items():
        if not found[str(id)]:
            raise NotFound(f"{argument}: no {type_name} with id {id}", field=argument)
