"""Instances made from an id alone (``resolvers.references.by_id``, ``by_ids``): an entity's
stub is built as its ``__init__`` would build it, and a type that needs its ``__init__``
still gets it; ids parsed many at once as one at a time (``resolvers.ids.try_parse_ids``)."""

from __future__ import annotations

import uuid

import strawberry

from resolvers.ids import try_parse_id, try_parse_ids
from resolvers.references import EntityStub, by_id, by_ids
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


def test_many_at_once_are_each_what_by_id_makes() -> None:
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for cls in (ConfigurationItem, User, Trimmed, WithMore):
        made = by_ids(cls, iter(ids))
        assert [type(m) for m in made] == [cls] * 3
        assert [vars(m) for m in made] == [vars(by_id(cls, id)) for id in ids]
    assert by_ids(ConfigurationItem, []) == []


def test_ids_parsed_at_once_are_those_parsed_one_at_a_time() -> None:
    key = uuid.uuid4()
    canonical = [str(key), key.hex]
    assert try_parse_ids(canonical) == [key, key]
    odd: list[object] = [str(key), f"{{{key}}}", f"urn:uuid:{key}", "no id", key, 7, key.bytes]
    assert try_parse_ids(odd) == [try_parse_id(value) for value in odd]
    assert try_parse_ids(odd)[:3] == [key, key, key]
    assert try_parse_ids(odd)[3:] == [None, key, None, None]
