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
    cmdb: Subgraph, owner_sessions: Any, tenant_id: Any
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
    assert await count_rows(owner_sessions, tables.ConfigurationItem, tenant_id) == 0


async def test_duplicate_name_in_class_is_a_conflict(cmdb: Subgraph) -> None:
    await create_ci(cmdb, "Database", "orders-db")
    again = await cmdb.run(CREATE_CI, input={"className": "Database", "name": "orders-db"})
    assert code(again) == "CONFLICT"
    other_class = await create_ci(cmdb, "Application", "orders-db")
    assert other_class["name"] == "orders-db"


UPDATE_CI = """
mutation($id: ID!, $input: UpdateConfigurationItemInput!) {
  updateConfigurationItem(id: $id, input: $input) { id name status criticality attributes }
}"""
HISTORY = """
query($id: ID!) {
  configurationItem(id: $id) { history { kind actor { id } changes { field oldValue newValue } } }
}"""


async def test_update_patches_attributes_and_records_who_changed_what(cmdb: Subgraph) -> None:
    ci = await create_ci(cmdb, "Server", "db-01", attributes={"os": "linux", "cpuCount": 8})
    updated = await cmdb.ok(
        UPDATE_CI,
        id=ci["id"],
        input={"criticality": 1, "attributes": {"cpuCount": 16, "os": None, "memoryGb": 64}},
    )
    assert updated["updateConfigurationItem"]["attributes"] == {"cpuCount": 16, "memoryGb": 64}
    history = (await cmdb.ok(HISTORY, id=ci["id"]))["configurationItem"]["history"]
    assert [entry["kind"] for entry in history] == ["CREATED", "UPDATED"]
    assert {(c["field"], c["oldValue"], c["newValue"]) for c in history[1]["changes"]} == {
        ("criticality", 3, 1),
        ("attributes.cpuCount", 8, 16),
        ("attributes.os", "linux", None),
        ("attributes.memoryGb", None, 64),
    }
    same = await cmdb.ok(UPDATE_CI, id=ci["id"], input={"criticality": 1})
    assert same["updateConfigurationItem"]["criticality"] == 1
    assert len((await cmdb.ok(HISTORY, id=ci["id"]))["configurationItem"]["history"]) == 2


async def test_bad_updates_change_nothing(cmdb: Subgraph) -> None:
    ci = await create_ci(cmdb, "Server", "app-01", attributes={"cpuCount": 2})
    await create_ci(cmdb, "Server", "app-02")
    for input, expected in (
        ({"attributes": {"cpuCount": "many"}}, "BAD_USER_INPUT"),
        ({"criticality": 7}, "BAD_USER_INPUT"),
        ({"status": "RETIRED"}, "BAD_USER_INPUT"),
        ({"name": "app-02"}, "CONFLICT"),
        ({"ownerId": "7b0c4f7e-0000-4000-8000-000000000000"}, "NOT_FOUND"),
    ):
        result = await cmdb.run(UPDATE_CI, id=ci["id"], input={"criticality": 1, **input})
        assert code(result) == expected, (input, result)
    read = await cmdb.ok(
        "query($id: ID!) { configurationItem(id: $id) { name criticality attributes } }",
        id=ci["id"],
    )
    assert read["configurationItem"] == {
        "name": "app-01",
        "criticality": 3,
        "attributes": {"cpuCount": 2},
    }
    missing = await cmdb.run(
        UPDATE_CI, id="7b0c4f7e-0000-4000-8000-000000000000", input={"criticality": 1}
    )
    assert code(missing) == "NOT_FOUND"


async def test_retired_is_final_and_keeps_history(cmdb: Subgraph) -> None:
    ci = await create_ci(cmdb, "Database", "legacy-db")
    retire = "mutation($id: ID!) { retireConfigurationItem(id: $id) { status } }"
    assert (await cmdb.ok(retire, id=ci["id"]))["retireConfigurationItem"] == {"status": "RETIRED"}
    assert code(await cmdb.run(retire, id=ci["id"])) == "CONFLICT"
    assert code(await cmdb.run(UPDATE_CI, id=ci["id"], input={"criticality": 1})) == "CONFLICT"
    history = (await cmdb.ok(HISTORY, id=ci["id"]))["configurationItem"]["history"]
    assert [entry["kind"] for entry in history] == ["CREATED", "RETIRED"]


async def test_delete_only_when_nothing_refers_to_it(
    cmdb: Subgraph, owner_sessions: Any, tenant_id: Any
) -> None:
    host = await create_ci(cmdb, "Server", "hv-01")
    vm = await create_ci(cmdb, "VirtualMachine", "vm-01", attributes={"hostServer": host["id"]})
    delete = "mutation($id: ID!) { deleteConfigurationItem(id: $id) }"
    refused = await cmdb.run(delete, id=host["id"])
    assert code(refused) == "CONFLICT" and "vm-01" in refused["errors"][0]["message"]
    assert (await cmdb.ok(delete, id=vm["id"]))["deleteConfigurationItem"] == vm["id"]
    assert (await cmdb.ok(delete, id=host["id"]))["deleteConfigurationItem"] == host["id"]
    assert await count_rows(owner_sessions, tables.ConfigurationItem, tenant_id) == 0
    assert await count_rows(owner_sessions, tables.CiChange, tenant_id) == 0
    assert code(await cmdb.run(delete, id=host["id"])) == "NOT_FOUND"


async def test_reference_attributes_must_name_a_ci_of_the_class(cmdb: Subgraph) -> None:
    database = await create_ci(cmdb, "Database", "not-a-server")
    wrong_class = await cmdb.run(
        CREATE_CI,
        input={
            "className": "VirtualMachine",
            "name": "vm-x",
            "attributes": {"hostServer": database["id"]},
        },
    )
    assert code(wrong_class) == "BAD_USER_INPUT"
    unknown = await cmdb.run(
        CREATE_CI,
        input={
            "className": "VirtualMachine",
            "name": "vm-x",
            "attributes": {"hostServer": "7b0c4f7e-0000-4000-8000-000000000000"},
        },
    )
    assert code(unknown) == "NOT_FOUND"
    assert unknown["errors"][0]["extensions"]["attribute"] == "hostServer"
