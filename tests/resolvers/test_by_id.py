"""Instances made from an id alone (``resolvers.references.by_id``): an entity's stub is built
as its ``__init__`` would build it, and a type that needs its ``__init__`` still gets it."""

from __future__ import annotations

import uuid

import strawberry

from resolvers.references import EntityStub, by_id
from subgraphs.incidents.configuration_items import ConfigurationItem
from subgraphs.incidents.references import User


@strawberry.type
class Trimmed:
    id: strawberry.ID

    def __post_init__(self) -> None:
        self.id = strawberry.ID(self.id.strip())


@strawberry.type
class WithMore:
    id: strawberry.ID
    label: str = "none"


def test_a_stub_is_what_its_init_makes() -> None:
    key = uuid.uuid4()
    stub = User.ref(key)
    assert type(stub) is User and isinstance(stub, EntityStub)
    assert vars(stub) == vars(User(id=strawberry.ID(str(key))))
    assert User.ref(None) is None
    item = ConfigurationItem.stub(key)
    assert vars(item) == vars(ConfigurationItem(id=strawberry.ID(str(key))))


def test_types_that_need_their_init_get_it() -> None:
    assert by_id(Trimmed, " 7 ").id == "7"
    assert vars(by_id(WithMore, "8")) == {"id": "8", "label": "none"}
