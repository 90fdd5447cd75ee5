"""Configuration items against real PostgreSQL: create, read by id and by name, attribute
validation against the class's JSON Schema, and bad input that writes nothing."""

from __future__ import annotations

from typing import Any

from subgraphs.cmdb import tables
from tests.subgraphs.cmdb.conftest import CREATE_CI, create_ci
from tests.support import Subgraph, count_rows


def code(result: dict[str, Any]) -> str:
    return result["errors"][0]["extensions"]["code"]  # type: ignore[no-any-return]


async def test_create_applies_defaults_and_reads_back(cmdb: Subgraph) -> None:
    made = await create_ci(
        cmdb, "VirtualMachine", "web-01", attributes={"os": "linux", "cpuCount": 4}
    )
    assert made["ciClass"] == {"name": "VirtualMachine"}
    assert made["status"] == "IN_SERVICE" and made["criticality"] == 3
    assert made["attributes"] == {"os": "linux", "cpuCount": 4}
    service = await create_ci(cmdb, "BusinessService", "Online Shop", criticality=1)
    assert service["attributes"] == {"serviceLevel": "silver"}  # the class's default
    read = await cmdb.ok(
        'query($id: ID!) { configurationItem(id: $id) { name attribute(name: "os") '
        "ciClass { name parent { name } } } }",
        id=made["id"],
    )
    assert read["configurationItem"] == {
        "name": "web-01",
        "attribute": "linux",
        "ciClass": {"name": "VirtualMachine", "parent": {"name": "Server"}},
    }
    by_name = await cmdb.ok(
        'query { configurationItemByName(className: "VirtualMachine", name: "web-01") { id } }'
    )
    assert by_name["configurationItemByName"] == {"id": made["id"]}


async def test_bad_attributes_are_refused_naming_the_attribute(
    cmdb: Subgraph, sessions: Any, tenant_id: Any
) -> None:
    cases = [
        ({"cpuCount": "four"}, "cpuCount"),  # wrong type
        ({"os": "beos"}, "os"),  # enum outside its values
        ({"colour": "red"}, "colour"),  # unknown attribute
        ({"ipAddress": "10.0.0.999"}, "ipAddress"),
        ({"installDate": "2024-02-30"}, "installDate"),
    ]
    for attributes, name in cases:
        result = await cmdb.run(
            CREATE_CI, input={"className": "Server", "name": "bad", "attributes": attributes}
        )
        assert code(result) == "BAD_USER_INPUT", result
        assert result["errors"][0]["extensions"]["attribute"] == name
    missing = await cmdb.run(
        CREATE_CI, input={"className": "NetworkDevice", "name": "sw-1", "attributes": {}}
    )
    assert code(missing) == "BAD_USER_INPUT"
    assert missing["errors"][0]["extensions"]["attribute"] == "deviceType"
    assert await count_rows(sessions, tables.ConfigurationItem, tenant_id) == 0


async def test_duplicate_name_in_class_is_a_conflict(cmdb: Subgraph) -> None:
    await create_ci(cmdb, "Database", "orders-db")
    again = await cmdb.run(CREATE_CI, input={"className": "Database", "name": "orders-db"})
    assert code(again) == "CONFLICT"
    other_class = await create_ci(cmdb, "Application", "orders-db")
    assert other_class["name"] == "orders-db"
