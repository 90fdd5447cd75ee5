"""The incident domain's permission names, what each allows, and the built-in roles' grants."""

VIEW = "incident:view"
CREATE = "incident:create"
UPDATE = "incident:update"
ASSIGN = "incident:assign"
COMMENT_ON_BEHALF = "incident:comment_on_behalf"
WORKNOTES_VIEW = "incident:worknotes:view"
ADMIN = "incident:admin"
DELETE = "incident:delete"
MAJOR = "incident:major"
INTEGRATION_ADMIN = "integration:admin"

PERMISSIONS: dict[str, str] = {
    VIEW: "read incidents, their comments and history",
    CREATE: "open incidents",
    UPDATE: "change incidents and comment on them",
    ASSIGN: "assign incidents to a user or team",
    COMMENT_ON_BEHALF: "write a comment whose author is another user (e.g. transcribing a call)",
    WORKNOTES_VIEW: "read work notes (comments internal to the service desk)",
    ADMIN: "change the tenant's incident settings (the reopen window, auto-close)",
    DELETE: "delete incidents (restorable for 30 days, then purged) and restore them",
    MAJOR: "accept or reject major incident proposals (the major incident manager's call)",
    INTEGRATION_ADMIN: "manage integrations: alert sources (their secrets, mappings, "
    "policies) and their delivery logs",
}

GRANTS: dict[str, frozenset[str]] = {
    "viewer": frozenset({VIEW}),
    "operator": frozenset({VIEW, CREATE, UPDATE, ASSIGN, WORKNOTES_VIEW}),
    "admin": frozenset(PERMISSIONS),
}
