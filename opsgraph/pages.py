"""The web pages domains ship beside their API (a domain's manifest `pages`): each is served at
`/<name>` (its `index.html`) with its other files under `/<name>/static/`.

Plain HTML, CSS and JavaScript served from the domain's package (no CDN, no build step), so a
page runs under the server's content security policy as it is: scripts and styles from
'self', and 'self' as connect-src covers both the HTTP query and the same-origin WebSocket."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from opsgraph.domains import Registry


def page_routes(registry: Registry) -> list[BaseRoute]:
    """`/<name>` and `/<name>/static/*` for every page every registered domain ships."""
    routes: list[BaseRoute] = []
    for domain in registry.domains:
        for name, directory in domain.pages.items():
            routes += [
                Route(f"/{name}", _index(directory), methods=["GET"]),
                Mount(f"/{name}/static", StaticFiles(directory=directory)),
            ]
    return routes


def _index(directory: Path) -> Callable[[Request], Awaitable[FileResponse]]:
    async def page(request: Request) -> FileResponse:
        # Revalidated on every load, so an upgraded server never pairs old HTML with new JS.
        return FileResponse(directory / "index.html", headers={"cache-control": "no-cache"})

    return page
