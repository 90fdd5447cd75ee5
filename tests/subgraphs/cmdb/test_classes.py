"""CI classes against real PostgreSQL: built-ins materialised per tenant, inheritance of
attributes, a tenant's own classes and attributes, and the removal of an attribute in use."""

from __future__ import annotations

from typing import Any

from subgraphs.cmdb import tables
from tests.subgraphs.cmdb.conftest import CREATE_CI, create_ci
from tests.support import Subgraph, count_rows

CREATE_CLASS = """
mutation($input: CreateCiClassInput!) {
  createCiClass(input: $input) { id name label builtin parent { name } }
}"""
ADD_ATTRIBUTE = """
mutation($className: String!, $input: AddCiAttributeInput!) {
  addCiAttribute(className: $className, input: $input) {
    name type required default enumValues declaredBy { name } referenceClass { name }
  }
}"""
REMOVE_ATTRIBUTE = """
mutation($className: String!, $name: String!) {
  removeCiAttribute(className: $className, name: $name)
}"""
ATTRIBUTES = """
query($name: String!) {
  ciClass(name: $name) { attributes { name declaredBy { name } } }
}"""


def code(result: dict[str, Any]) -> str:
    return result["errors"][0]["extensions"]["code"]  # type: ignore[no-any-return]


async def test_builtin_classes_are_there_on_first_look_and_inherit(cmdb: Subgraph) -> None:
    classes = (await cmdb.ok("{ ciClasses { name builtin parent { name } } }"))["ciClasses"]
    by_name = {c["name"]: c for c in classes}
    assert set(by_name) >= {
        "BusinessService",
        "Application",
        "ApplicationService",
        "Server",
        "VirtualMachine",
        "Database",
        "Cluster",
        "LoadBalancer",
        "NetworkDevice",
        "StorageDevice",
    }
    assert by_name["VirtualMachine"]["parent"] == {"name": "Server"}
    assert all(c["builtin"] for c in classes)
    vm = (await cmdb.ok(ATTRIBUTES, name="VirtualMachine"))["ciClass"]["attributes"]
    names = [a["name"] for a in vm]
    assert names.index("os") < names.index("hypervisor")  # inherited ones first
    assert {a["declaredBy"]["name"] for a in vm} == {"Server", "VirtualMachine"}


async def test_a_tenants_own_class_and_attributes(
    cmdb: Subgraph, owner_sessions: Any, tenant_id: Any
) -> None:
    made = await cmdb.ok(CREATE_CLASS, input={"name": "BareMetal", "parentName": "Server"})
    assert made["createCiClass"]["parent"] == {"name": "Server"}
    assert made["createCiClass"]["builtin"] is False
    rack = await cmdb.ok(
        ADD_ATTRIBUTE,
        className="BareMetal",
        input={
            "name": "rack",
            "type": "ENUM",
            "required": True,
            "enumValues": ["A1", "A2"],
            "default": "A1",
        },
    )
    assert rack["addCiAttribute"]["declaredBy"] == {"name": "BareMetal"}
    ci = await create_ci(cmdb, "BareMetal", "bm-01", attributes={"os": "linux"})
    assert ci["attributes"] == {"os": "linux", "rack": "A1"}
    wrong = await cmdb.run(
        CREATE_CI, input={"className": "BareMetal", "name": "bm-02", "attributes": {"rack": "Z9"}}
    )
    assert code(wrong) == "BAD_USER_INPUT"
    assert wrong["errors"][0]["extensions"]["attribute"] == "rack"
    servers = await cmdb.ok(
        '{ configurationItems(filter: {className: ["Server"]}) { edges { node { name } } } }'
    )
    assert [e["node"]["name"] for e in servers["configurationItems"]["edges"]] == ["bm-01"]
    # A class nobody defined has no CIs (none of its classes read first: no error either).
    unknown = await cmdb.ok(
        '{ configurationItems(filter: {className: ["Nothing", "NoSuch"]}) { totalCount } }'
    )
    assert unknown["configurationItems"]["totalCount"] == 0
    assert await count_rows(owner_sessions, tables.ConfigurationItem, tenant_id) == 1


async def test_bad_classes_and_attributes_are_refused(cmdb: Subgraph) -> None:
    for input, expected in (
        ({"name": "Server"}, "CONFLICT"),
        ({"name": "lowercase"}, "BAD_USER_INPUT"),
        ({"name": "Orphan", "parentName": "Nothing"}, "BAD_USER_INPUT"),
    ):
        assert code(await cmdb.run(CREATE_CLASS, input=input)) == expected, input
    for class_name, input, expected in (
        ("VirtualMachine", {"name": "os", "type": "STRING"}, "CONFLICT"),  # inherited
        ("Server", {"name": "hypervisor", "type": "STRING"}, "CONFLICT"),  # a subclass has it
        ("Server", {"name": "tier", "type": "ENUM"}, "BAD_USER_INPUT"),  # no values
        ("Server", {"name": "peer", "type": "REFERENCE"}, "BAD_USER_INPUT"),
        ("Server", {"name": "slots", "type": "INTEGER", "default": "two"}, "BAD_USER_INPUT"),
        ("Nothing", {"name": "x", "type": "STRING"}, "BAD_USER_INPUT"),
    ):
        result = await cmdb.run(ADD_ATTRIBUTE, className=class_name, input=input)
        assert code(result) == expected, (class_name, input, result)
    await create_ci(cmdb, "Server", "s-1")
    required = await cmdb.run(
        ADD_ATTRIBUTE,
        className="Server",
        input={"name": "site", "type": "STRING", "required": True},
    )
    assert code(required) == "CONFLICT"  # s-1 would lack it


async def test_removing_an_attribute_in_use_is_a_conflict(cmdb: Subgraph) -> None:
    await cmdb.ok(ADD_ATTRIBUTE, className="Server", input={"name": "rackUnit", "type": "INTEGER"})
    ci = await create_ci(cmdb, "VirtualMachine", "vm-9", attributes={"rackUnit": 4})
    in_use = await cmdb.run(REMOVE_ATTRIBUTE, className="Server", name="rackUnit")
    assert code(in_use) == "CONFLICT"
    await cmdb.ok(
        "mutation($id: ID!) { updateConfigurationItem(id: $id, input: "
        "{attributes: {rackUnit: null}}) { id } }",
        id=ci["id"],
    )
    assert (await cmdb.ok(REMOVE_ATTRIBUTE, className="Server", name="rackUnit"))[
        "removeCiAttribute"
    ]
    builtin = await cmdb.run(REMOVE_ATTRIBUTE, className="Server", name="os")
    assert code(builtin) == "CONFLICT"


async def test_inherited_attributes_cost_the_same_at_any_depth(
    cmdb: Subgraph, statements: Any
) -> None:
    await cmdb.ok("{ ciClasses { name } }")  # the built-ins are there
    parent = "VirtualMachine"
    for name in ("CloudVm", "SpotVm", "TinySpotVm"):
        await cmdb.ok(CREATE_CLASS, input={"name": name, "parentName": parent})
        parent = name
    counts = []
    for name in ("VirtualMachine", "TinySpotVm"):
        statements.reset()
        attributes = (await cmdb.ok(ATTRIBUTES, name=name))["ciClass"]["attributes"]
        assert {a["name"] for a in attributes} >= {"os", "cpuCount"}
        counts.append(statements.count)
    assert counts[0] == counts[1], statements.statements
