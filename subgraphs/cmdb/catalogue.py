"""The built-in CI classes (with their attributes), relationship types and relationship rules,
declared in code and materialised per tenant.

Each built-in row has an id derived from its tenant and its name (`builtin_id`), so the rows
refer to each other without reading anything back, and materialising is four idempotent
INSERT … ON CONFLICT DO NOTHING statements: concurrent first writes of one tenant both succeed
and write each row once. `ensure_builtin_classes` runs when a tenant's catalogue is read for a
write and a built-in is missing (schema.py's `load_catalogue`), and in the demo seed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.cmdb import tables
from subgraphs.cmdb.enums import CiAttributeType as T
from subgraphs.cmdb.enums import DependentSide

NAMESPACE = uuid.UUID("6f1c0b7e-2a43-4d2e-9f57-3c1f0c6d8a10")


@dataclass(frozen=True)
class BuiltinAttribute:
    name: str
    type: T
    required: bool = False
    default: Any = None
    enum_values: tuple[str, ...] | None = None
    reference_class: str | None = None


@dataclass(frozen=True)
class BuiltinClass:
    name: str
    label: str
    description: str
    parent: str | None = None
    attributes: tuple[BuiltinAttribute, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class BuiltinRelationshipType:
    name: str
    parent_descriptor: str
    child_descriptor: str
    dependent_side: DependentSide


_IP = BuiltinAttribute("ipAddress", T.IP_ADDRESS)
_VENDOR = BuiltinAttribute("vendor", T.STRING)
_VERSION = BuiltinAttribute("version", T.STRING)
_PORT = BuiltinAttribute("port", T.INTEGER)

CLASSES: tuple[BuiltinClass, ...] = (
    BuiltinClass(
        "BusinessService",
        "Business service",
        "A service the business consumes and recognises (e.g. Online Shop).",
        attributes=(
            BuiltinAttribute(
                "serviceLevel", T.ENUM, default="silver", enum_values=("gold", "silver", "bronze")
            ),
            BuiltinAttribute("businessOwner", T.STRING),
        ),
    ),
    BuiltinClass(
        "Application",
        "Application",
        "A software product deployed for the business.",
        attributes=(_VERSION, _VENDOR, BuiltinAttribute("url", T.URL)),
    ),
    BuiltinClass(
        "ApplicationService",
        "Application service",
        "A running instance of an application's functionality (an API, a web front end).",
        attributes=(BuiltinAttribute("url", T.URL), _PORT),
    ),
    BuiltinClass(
        "Server",
        "Server",
        "A computer that runs software.",
        attributes=(
            BuiltinAttribute("fqdn", T.STRING),
            _IP,
            BuiltinAttribute(
                "os", T.ENUM, enum_values=("linux", "windows", "aix", "solaris", "freebsd")
            ),
            BuiltinAttribute("osVersion", T.STRING),
            BuiltinAttribute("cpuCount", T.INTEGER),
            BuiltinAttribute("memoryGb", T.INTEGER),
            BuiltinAttribute("serialNumber", T.STRING),
            BuiltinAttribute("installDate", T.DATE),
        ),
    ),
    BuiltinClass(
        "VirtualMachine",
        "Virtual machine",
        "A server emulated by a hypervisor.",
        parent="Server",
        attributes=(
            BuiltinAttribute(
                "hypervisor", T.ENUM, enum_values=("vmware", "kvm", "hyperv", "xen", "cloud")
            ),
            BuiltinAttribute("hostServer", T.REFERENCE, reference_class="Server"),
        ),
    ),
    BuiltinClass(
        "Database",
        "Database",
        "A database instance.",
        attributes=(
            BuiltinAttribute(
                "engine",
                T.ENUM,
                enum_values=("postgresql", "mysql", "oracle", "sqlserver", "mongodb", "redis"),
            ),
            _VERSION,
            _PORT,
        ),
    ),
    BuiltinClass(
        "Cluster",
        "Cluster",
        "A group of members that provide one service together.",
        attributes=(BuiltinAttribute("technology", T.STRING),),
    ),
    BuiltinClass(
        "LoadBalancer",
        "Load balancer",
        "Spreads traffic over a pool of servers.",
        attributes=(_IP, _VENDOR, BuiltinAttribute("model", T.STRING)),
    ),
    BuiltinClass(
        "NetworkDevice",
        "Network device",
        "A switch, router or firewall.",
        attributes=(
            BuiltinAttribute(
                "deviceType", T.ENUM, required=True, enum_values=("switch", "router", "firewall")
            ),
            _IP,
            _VENDOR,
            BuiltinAttribute("model", T.STRING),
            BuiltinAttribute("portCount", T.INTEGER),
        ),
    ),
    BuiltinClass(
        "StorageDevice",
        "Storage device",
        "A SAN, NAS or disk array.",
        attributes=(_VENDOR, BuiltinAttribute("capacityTb", T.INTEGER)),
    ),
)

RELATIONSHIP_TYPES: tuple[BuiltinRelationshipType, ...] = (
    BuiltinRelationshipType("DEPENDS_ON", "Depends on", "Used by", DependentSide.PARENT),
    BuiltinRelationshipType("RUNS_ON", "Runs on", "Runs", DependentSide.PARENT),
    BuiltinRelationshipType("HOSTED_ON", "Hosted on", "Hosts", DependentSide.PARENT),
    BuiltinRelationshipType("CONNECTS_TO", "Connects to", "Connected by", DependentSide.PARENT),
    BuiltinRelationshipType("CONTAINS", "Contains", "Contained by", DependentSide.CHILD),
    BuiltinRelationshipType("MEMBER_OF", "Member of", "Has member", DependentSide.CHILD),
)

# (parent class, type, child class); a rule on a class applies to its subclasses.
RELATIONSHIP_RULES: tuple[tuple[str, str, str], ...] = (
    ("BusinessService", "DEPENDS_ON", "BusinessService"),
    ("BusinessService", "DEPENDS_ON", "Application"),
    ("BusinessService", "DEPENDS_ON", "ApplicationService"),
    ("Application", "DEPENDS_ON", "Application"),
    ("Application", "DEPENDS_ON", "ApplicationService"),
    ("Application", "DEPENDS_ON", "Database"),
    ("Application", "RUNS_ON", "Server"),
    ("Application", "RUNS_ON", "Cluster"),
    ("ApplicationService", "DEPENDS_ON", "ApplicationService"),
    ("ApplicationService", "DEPENDS_ON", "Database"),
    ("ApplicationService", "DEPENDS_ON", "LoadBalancer"),
    ("ApplicationService", "RUNS_ON", "Server"),
    ("ApplicationService", "RUNS_ON", "Cluster"),
    ("Database", "RUNS_ON", "Server"),
    ("Database", "RUNS_ON", "Cluster"),
    ("Database", "HOSTED_ON", "StorageDevice"),
    ("VirtualMachine", "HOSTED_ON", "Server"),
    ("Server", "MEMBER_OF", "Cluster"),
    ("Server", "CONNECTS_TO", "NetworkDevice"),
    ("Server", "CONNECTS_TO", "StorageDevice"),
    ("Cluster", "DEPENDS_ON", "LoadBalancer"),
    ("LoadBalancer", "DEPENDS_ON", "Server"),
    ("LoadBalancer", "DEPENDS_ON", "Cluster"),
    ("LoadBalancer", "CONNECTS_TO", "NetworkDevice"),
    ("NetworkDevice", "CONNECTS_TO", "NetworkDevice"),
    ("StorageDevice", "CONNECTS_TO", "NetworkDevice"),
    ("Cluster", "CONTAINS", "Server"),
)


def builtin_id(tenant_id: uuid.UUID, *parts: str) -> uuid.UUID:
    """The id of a built-in row of `tenant_id`, e.g. ("class", "Server")."""
    return uuid.uuid5(NAMESPACE, ":".join((str(tenant_id), *parts)))


def class_rows(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {
            "id": builtin_id(tenant_id, "class", c.name),
            "tenant_id": tenant_id,
            "name": c.name,
            "parent_id": builtin_id(tenant_id, "class", c.parent) if c.parent else None,
            "label": c.label,
            "description": c.description,
            "builtin": True,
        }
        for c in CLASSES
    ]


def attribute_rows(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {
            "id": builtin_id(tenant_id, "attribute", c.name, a.name),
            "tenant_id": tenant_id,
            "class_id": builtin_id(tenant_id, "class", c.name),
            "name": a.name,
            "type": a.type.value,
            "required": a.required,
            "default": a.default,
            "enum_values": list(a.enum_values) if a.enum_values is not None else None,
            "reference_class_id": builtin_id(tenant_id, "class", a.reference_class)
            if a.reference_class
            else None,
        }
        for c in CLASSES
        for a in c.attributes
    ]


def relationship_type_rows(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {
            "id": builtin_id(tenant_id, "relationship-type", t.name),
            "tenant_id": tenant_id,
            "name": t.name,
            "parent_descriptor": t.parent_descriptor,
            "child_descriptor": t.child_descriptor,
            "dependent_side": t.dependent_side.value,
        }
        for t in RELATIONSHIP_TYPES
    ]


def rule_rows(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {
            "id": builtin_id(tenant_id, "rule", parent, type_name, child),
            "tenant_id": tenant_id,
            "parent_class_id": builtin_id(tenant_id, "class", parent),
            "type_id": builtin_id(tenant_id, "relationship-type", type_name),
            "child_class_id": builtin_id(tenant_id, "class", child),
        }
        for parent, type_name, child in RELATIONSHIP_RULES
    ]


async def ensure_builtin_classes(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Materialise the built-in classes, attributes, relationship types and rules of
    `tenant_id` that are missing (idempotent; the caller's unit of work commits them)."""
    for table, rows in (
        (tables.CiClass, class_rows(tenant_id)),
        (tables.CiAttribute, attribute_rows(tenant_id)),
        (tables.RelationshipType, relationship_type_rows(tenant_id)),
        (tables.RelationshipRule, rule_rows(tenant_id)),
    ):
        await session.execute(insert(table).values(rows).on_conflict_do_nothing())
