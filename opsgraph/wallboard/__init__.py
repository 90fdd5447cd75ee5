"""The NOC wallboard: a self-contained page at `/wallboard` that lists the open incidents by
priority and keeps itself current over a GraphQL subscription.

Plain HTML, CSS and JavaScript served from this package (no CDN, no build step), so it runs
under the server's content security policy as it is: scripts and styles from 'self', and
'self' as connect-src covers both the HTTP query and the same-origin WebSocket."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"


async def _page(request: Request) -> FileResponse:
    # Revalidated on every load, so an upgraded server never pairs old HTML with new JS.
    return FileResponse(STATIC_DIR / "index.html", headers={"cache-control": "no-cache"})


def wallboard_routes() -> list[BaseRoute]:
    """`/wallboard` (the page) and `/wallboard/static/*` (its script and stylesheet)."""
    return [
        Route("/wallboard", _page, methods=["GET"]),
        Mount("/wallboard/static", StaticFiles(directory=STATIC_DIR)),
    ]
