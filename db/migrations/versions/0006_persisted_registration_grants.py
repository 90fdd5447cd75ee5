"""persisted operations: the application role may register them (admin mutations)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09 10:00:00

The `createApiClient`, `updateApiClient` and `registerPersistedOperations` mutations run as the
application role, behind the tenant wall like every request. They need to add client records
and documents, to flip a client's safelist flag, and to lock a client's record while its
manifest is registered (SELECT ... FOR UPDATE needs an UPDATE grant). Nothing more: documents
are never changed or deleted by the application, and no other column of a client may change.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "opsgraph_app"
GRANTS = (
    "GRANT INSERT ON identity.api_clients, identity.persisted_documents TO {role}",
    "GRANT UPDATE (safelist_only, updated_at) ON identity.api_clients TO {role}",
)
REVOKES = (
    "REVOKE UPDATE (safelist_only, updated_at) ON identity.api_clients FROM {role}",
    "REVOKE INSERT ON identity.api_clients, identity.persisted_documents FROM {role}",
)


def upgrade() -> None:
    for statement in GRANTS:
        op.execute(statement.format(role=APP_ROLE))


def downgrade() -> None:
    for statement in REVOKES:
        op.execute(statement.format(role=APP_ROLE))
