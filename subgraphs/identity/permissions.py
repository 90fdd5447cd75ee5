"""The identity domain's permission names, what each allows, and the built-in roles' grants."""

from resolvers.privacy import PII_PERMISSION

VIEW = "identity:view"
MANAGE = "identity:manage"
VIEW_AUDIT = "audit:view"
MANAGE_ROLES = "admin:roles"
MANAGE_CLIENTS = "admin:clients"

PERMISSIONS: dict[str, str] = {
    VIEW: "read users and teams",
    MANAGE: "create and change users, teams and team membership",
    PII_PERMISSION: "see users' e-mail addresses and phone numbers unmasked",
    VIEW_AUDIT: "read the audit log",
    MANAGE_ROLES: "define the tenant's own roles",
    MANAGE_CLIENTS: "register API clients and their persisted operations",
}

GRANTS: dict[str, frozenset[str]] = {
    "viewer": frozenset({VIEW}),
    "operator": frozenset({VIEW, PII_PERMISSION}),
    "admin": frozenset(PERMISSIONS),
}
