"""Identity's rules for what a user, team, role or API client may be called and hold, as plain
functions of the values given: each returns the value cleaned, or raises the error naming the
field. No database and no Strawberry here."""

from __future__ import annotations

import re

from db.tables import persisted
from resolvers.errors import BadUserInput, Conflict, Forbidden
from resolvers.principal import BUILTIN_ROLE_NAMES, Principal

NAME_MAX = 200
PHONE_MAX = 40  # the column's length
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLE_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,62}$")


def clean_name(value: str, field: str = "name") -> str:
    name = value.strip()
    if not name:
        raise BadUserInput(f"{field} must not be empty", field=field)
    if len(name) > NAME_MAX:
        raise BadUserInput(f"{field} must be at most {NAME_MAX} characters", field=field)
    return name


def clean_email(value: str, field: str = "email") -> str:
    email = value.strip()
    if len(email) > 320 or not EMAIL.match(email):
        raise BadUserInput(f"{field} {value!r} is not an e-mail address", field=field)
    return email


def clean_phone(value: str | None) -> str | None:
    """The trimmed number; empty means none."""
    phone = (value or "").strip()
    if len(phone) > PHONE_MAX:
        raise BadUserInput(f"phone must be at most {PHONE_MAX} characters", field="phone")
    return phone or None


def clean_role_name(value: str) -> str:
    name = value.strip()
    if name in BUILTIN_ROLE_NAMES:
        raise Conflict(f"{name} is a built-in role and cannot be redefined", field="name")
    if not ROLE_NAME.match(name):
        raise BadUserInput(
            "name must be 1-63 characters: a lower-case letter, then lower-case letters, "
            "digits, '.', '_' or '-'",
            field="name",
        )
    return name


def clean_permissions(permissions: list[str], grantor: Principal) -> list[str]:
    """Known permission names only, and only those the granting principal holds itself (a
    role manager cannot hand out more than it has)."""
    known = grantor.catalogue.permissions
    unknown = sorted(set(permissions) - known)
    if unknown:
        raise BadUserInput(
            f"Unknown permission(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
            field="permissions",
        )
    beyond = sorted(set(permissions) - grantor.permissions)
    if beyond:
        raise Forbidden(
            f"Cannot grant permission(s) you do not hold: {', '.join(beyond)}",
            field="permissions",
        )
    return sorted(set(permissions))


def clean_client_id(value: str) -> str:
    """Kept exactly as tokens carry it: 1-200 characters, no surrounding whitespace."""
    if not value or value != value.strip() or len(value) > persisted.CLIENT_ID_LENGTH:
        raise BadUserInput(
            f"clientId must be 1-{persisted.CLIENT_ID_LENGTH} characters without surrounding "
            "whitespace, as the tokens' azp/client_id claim carries it",
            field="clientId",
        )
    return value
