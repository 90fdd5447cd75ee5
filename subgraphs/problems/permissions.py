"""The problem domain's permission names, what each allows, and the built-in roles' grants.
`problem:manage` is the admin's and can be given to a tenant's own roles."""

VIEW = "problem:view"
CREATE = "problem:create"
UPDATE = "problem:update"
MANAGE = "problem:manage"

PERMISSIONS: dict[str, str] = {
    VIEW: "read problems, known errors, their incidents and problem candidates",
    CREATE: "open problems (also from incidents)",
    UPDATE: "change problems, link incidents to them, publish workarounds, comment",
    MANAGE: "record known errors and close problems",
}

GRANTS: dict[str, frozenset[str]] = {
    "viewer": frozenset({VIEW}),
    "operator": frozenset({VIEW, CREATE, UPDATE}),
    "admin": frozenset(PERMISSIONS),
}
