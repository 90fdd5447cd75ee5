"""A subgraph request carrying uploaded files, as a GraphQL multipart request again
(router/http_uploads.py reads the client's): each file becomes one part, its places in the
variables `null` in `operations` and named in `map`."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.datastructures import UploadFile

Files = list[tuple[str, tuple[str, Any, str]]]


def multipart_body(body: dict[str, Any]) -> tuple[dict[str, str], Files] | None:
    """(form fields, file parts) of `body` for httpx; None when it carries no file."""
    found: list[tuple[str, UploadFile]] = []
    operations = _without_files(body, "", found)
    if not found:
        return None
    files: Files = []
    paths: dict[str, list[str]] = {}
    parts: dict[int, str] = {}  # one part per file, however many places it fills
    for path, upload in found:
        name = parts.get(id(upload))
        if name is None:
            name = parts[id(upload)] = str(len(parts))
            upload.file.seek(0)
            content_type = upload.content_type or "application/octet-stream"
            files.append((name, (upload.filename or "file", upload.file, content_type)))
            paths[name] = []
        paths[name].append(path)
    data = {
        "operations": orjson.dumps(operations).decode(),
        "map": orjson.dumps(paths).decode(),
    }
    return data, files


def _without_files(value: Any, path: str, found: list[tuple[str, UploadFile]]) -> Any:
    if isinstance(value, UploadFile):
        found.append((path, value))
        return None
    if isinstance(value, dict):
        return {
            key: _without_files(item, f"{path}.{key}" if path else key, found)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_without_files(item, f"{path}.{index}", found) for index, item in enumerate(value)]
    return value
