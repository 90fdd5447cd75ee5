"""The webhook domain's permission: `integration:admin` manages a tenant's integrations and
webhooks (the Alertmanager integrations declare the same name; the registry merges them)."""

ADMIN = "integration:admin"

PERMISSIONS: dict[str, str] = {
    ADMIN: "manage integrations and outbound webhooks, see their delivery logs, redeliver",
}

GRANTS: dict[str, frozenset[str]] = {
    "admin": frozenset({ADMIN}),
}
