"""The two database roles OpsGraph connects as.

The owner (the configured `DATABASE_URL`, or the embedded cluster's `postgres`) owns the
schema: migrations, the outbox relay, the demo seed and the benchmark loader use it.
Requests connect as `APP_ROLE` (created by migration 0002), which row-level security walls
into the tenant each transaction sets (see db/scope.py)."""

from __future__ import annotations

from sqlalchemy.engine import make_url

APP_ROLE = "opsgraph_app"


def app_database_url(owner_url: str) -> str:
    """The owner's URL with the user swapped to the application role, without a password.

    The embedded cluster and CI trust local connections; a server that wants a password
    takes an explicit URL instead (the `DATABASE_APP_URL` setting)."""
    # `URL.set(password=None)` would keep the owner's password: None means "unchanged" there.
    url = make_url(owner_url)._replace(username=APP_ROLE, password=None)
    return url.render_as_string(hide_password=False)
