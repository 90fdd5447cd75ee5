"""The GraphQL multipart request (github.com/jaydenseric/graphql-multipart-request-spec),
as Apollo Client's and urql's upload links send it: a `multipart/form-data` POST whose
`operations` field is the JSON request with `null` where files go, whose `map` field names,
for each file part, the places in `operations` it fills (`{"0": ["variables.file"]}`), and
whose other parts are the files.

The form is parsed by Starlette (python-multipart): file parts are spooled to temporary
files (kept in memory up to 1 MB), other fields may hold at most `max_field_bytes`. Each
file lands in the variables as Starlette's `UploadFile`; the transports carry it to the
subgraph (in-process as it is, over HTTP as a multipart request again). Batched operations
(an `operations` array) are refused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from router.http_params import BadRequest, GraphQLParams, params_from_payload

MULTIPART = "multipart/form-data"
MAX_FILES = 10
SPEC = "the GraphQL multipart request spec"


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == MULTIPART


async def read_multipart(request: Request, max_field_bytes: int) -> tuple[GraphQLParams, FormData]:
    """The request's parameters with its files in their variables, and the form (the caller
    closes it once the request is answered: that removes the spooled files)."""
    try:
        form = await request.form(
            max_files=MAX_FILES, max_fields=MAX_FILES + 2, max_part_size=max_field_bytes
        )
    except (HTTPException, MultiPartException) as error:
        reason = error.detail if isinstance(error, HTTPException) else error.message
        raise BadRequest(f"The multipart request is malformed: {reason}") from None
    try:
        return _params(form), form
    except BadRequest:
        await form.close()
        raise


def _params(form: FormData) -> GraphQLParams:
    operations = _json_field(form, "operations")
    if not isinstance(operations, dict):
        raise BadRequest(f"operations must be a JSON object ({SPEC}; batches are not served)")
    files = _json_field(form, "map")
    if not isinstance(files, dict):
        raise BadRequest(f"map must be a JSON object of file part names to paths ({SPEC})")
    for name, paths in files.items():
        upload = form.get(name)
        if not isinstance(upload, UploadFile):
            raise BadRequest(f"map names the file part {name!r}, which the request does not carry")
        if not isinstance(paths, list) or not paths:
            raise BadRequest(f"map[{name!r}] must be a non-empty list of paths")
        for path in paths:
            _place(operations, path, upload, name)
    return params_from_payload(operations)


def _json_field(form: FormData, name: str) -> Any:
    value = form.get(name)
    if value is None:
        raise BadRequest(f"The multipart request has no {name} field ({SPEC})")
    if not isinstance(value, str):
        raise BadRequest(f"The {name} field must be JSON text, not a file ({SPEC})")
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        raise BadRequest(f"The {name} field is not valid JSON") from None


def _place(operations: dict[str, Any], path: object, upload: UploadFile, name: str) -> None:
    """Put the file where `path` (`variables.file`, `variables.files.0`) says; the place
    must exist in `operations` and hold null."""
    segments = path.split(".") if isinstance(path, str) else []
    if len(segments) < 2 or segments[0] != "variables":
        raise BadRequest(f"map[{name!r}] path {path!r} must point into variables")
    parent: Any = operations
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if isinstance(parent, Mapping) and segment in parent:
            if last:
                parent[segment] = upload  # type: ignore[index]
            else:
                parent = parent[segment]
        elif (
            isinstance(parent, list)
            and segment.isascii()
            and segment.isdigit()
            and int(segment) < len(parent)
        ):
            if last:
                parent[int(segment)] = upload
            else:
                parent = parent[int(segment)]
        else:
            raise BadRequest(f"map[{name!r}] path {path!r} names no place in operations")
