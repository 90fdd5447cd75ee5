"""The GraphQL multipart request, read by the router (router/http_uploads.py) and written
again for a subgraph over HTTP (router/execution/http_uploads.py): files land where the map
says, lists included; a request carrying them back is the same request."""

from __future__ import annotations

import io
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from router.execution.http_uploads import multipart_body
from router.http_params import BadRequest
from router.http_uploads import read_multipart

QUERY = "mutation($one: Upload!, $many: [Upload!]!) { x(one: $one, many: $many) }"


async def _echo(request: Request) -> JSONResponse:
    """What the router makes of the request: its variables, files by name and content."""
    try:
        params, form = await read_multipart(request, 1024)
    except BadRequest as error:
        return JSONResponse({"error": str(error)}, status_code=error.status)
    try:

        async def shown(value: Any) -> Any:
            if isinstance(value, UploadFile):
                await value.seek(0)  # one file may fill several places
                return {"file": value.filename, "content": (await value.read()).decode()}
            if isinstance(value, list):
                return [await shown(item) for item in value]
            if isinstance(value, dict):
                return {key: await shown(item) for key, item in value.items()}
            return value

        return JSONResponse({"query": params.query, "variables": await shown(params.variables)})
    finally:
        await form.close()


APP = Starlette(routes=[Route("/graphql", _echo, methods=["POST"])])


async def post(data: dict[str, str], files: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
        return await client.post("/graphql", data=data, files=files)


async def test_files_land_where_the_map_says() -> None:
    operations = {"query": QUERY, "variables": {"one": None, "many": [None, None]}}
    answer = await post(
        {
            "operations": orjson.dumps(operations).decode(),
            "map": orjson.dumps(
                {"a": ["variables.one", "variables.many.1"], "b": ["variables.many.0"]}
            ).decode(),
        },
        [("a", ("a.txt", b"A", "text/plain")), ("b", ("b.txt", b"B", "text/plain"))],
    )
    assert answer.json() == {
        "query": QUERY,
        "variables": {
            "one": {"file": "a.txt", "content": "A"},
            "many": [{"file": "b.txt", "content": "B"}, {"file": "a.txt", "content": "A"}],
        },
    }


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("variables.many.5", "names no place in operations"),
        ("variables.many.²", "names no place in operations"),  # a digit to str.isdigit
        ("variables.nope.x", "names no place in operations"),
        ("query", "must point into variables"),
    ],
)
async def test_a_path_outside_the_operation_is_refused(path: str, reason: str) -> None:
    operations = {"query": QUERY, "variables": {"one": None, "many": [None]}}
    answer = await post(
        {
            "operations": orjson.dumps(operations).decode(),
            "map": orjson.dumps({"a": [path]}).decode(),
        },
        [("a", ("a.txt", b"A", "text/plain"))],
    )
    assert answer.status_code == 400
    assert reason in answer.json()["error"]


async def test_a_field_past_its_limit_is_refused() -> None:
    answer = await post({"operations": "x" * 2000, "map": "{}"}, [("a", ("a", b"", "text/plain"))])
    assert answer.status_code == 400
    assert "malformed" in answer.json()["error"]


async def test_a_subgraph_request_carries_the_files_as_parts_again() -> None:
    one, two = (UploadFile(io.BytesIO(b), filename=n) for b, n in ((b"1", "one"), (b"2", "two")))
    body = {"query": QUERY, "variables": {"one": one, "many": [two, one]}, "operationName": None}
    data, files = multipart_body(body) or ({}, [])
    assert orjson.loads(data["operations"]) == {
        "query": QUERY,
        "variables": {"one": None, "many": [None, None]},
        "operationName": None,
    }
    assert orjson.loads(data["map"]) == {
        "0": ["variables.one", "variables.many.1"],
        "1": ["variables.many.0"],
    }
    assert [(name, part[0]) for name, part in files] == [("0", "one"), ("1", "two")]
    # Read back by the router's own reader, it is the same request.
    answer = await post(data, [(name, (n, f.read(), t)) for name, (n, f, t) in files])
    assert answer.json()["variables"] == {
        "one": {"file": "one", "content": "1"},
        "many": [{"file": "two", "content": "2"}, {"file": "one", "content": "1"}],
    }


def test_a_request_without_files_stays_json() -> None:
    assert multipart_body({"query": "{ x }", "variables": {"a": [1, {"b": None}]}}) is None
