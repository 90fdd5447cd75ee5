"""The CMDB's permission names, what each allows, and the built-in roles' grants."""

VIEW = "cmdb:view"
EDIT = "cmdb:edit"
ADMIN = "cmdb:admin"

PERMISSIONS: dict[str, str] = {
    VIEW: "read configuration items, their classes, relationships, history and impact",
    EDIT: "create, change, retire and delete configuration items and their relationships",
    ADMIN: "add CI classes and attributes, and remove attributes",
}

GRANTS: dict[str, frozenset[str]] = {
    "viewer": frozenset({VIEW}),
    "operator": frozenset({VIEW, EDIT}),
    "admin": frozenset(PERMISSIONS),
}
