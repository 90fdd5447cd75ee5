"""Attachments end to end, against real server processes: a GraphQL multipart upload
(httpx, as Apollo Client's upload link sends it) through the router, the list with its
size, sha256 and sniffed content type, the download through the signed link with the
caller's bearer token, the size limit, downloads refused (no token, another tenant, an
altered or expired link), malformed multipart requests refused with their reason. (An upload
through the split deployment: test_subgraphs_over_http.py, beside the split set it uses.)"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from resolvers.attachments.signing import SALT
from tests.e2e.conftest import (
    Server,
    issuer_of,
    seed_tenant,
    start_server,
    stop_server,
)
from tests.support import free_port

LIMIT = 4096
SECRET = "attachments-e2e-" + "s" * 32
OTHER_TENANT = "e2e-attach-other"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02" + bytes(64)
ADD = """mutation($incidentId: ID!, $file: Upload!) {
  addIncidentAttachment(incidentId: $incidentId, file: $file) {
    id filename contentType size sha256 uploadedBy { id } createdAt url } }"""
LIST = """query($id: ID!) { incident(id: $id) {
  attachments { id filename contentType size sha256 url } history { kind } } }"""
PREFLIGHT = {"apollo-require-preflight": "true"}


@pytest.fixture(scope="module")
def attach_env(server_env: dict[str, str], e2e_database_url: str) -> dict[str, str]:
    seed_tenant(e2e_database_url, OTHER_TENANT, scale=1)
    return {
        **server_env,
        "OPSGRAPH_MAX_ATTACHMENT_BYTES": str(LIMIT),
        "OPSGRAPH_ATTACHMENT_SECRET": SECRET,
    }


@pytest.fixture(scope="module")
def attach_server(attach_env: dict[str, str]) -> Iterator[Server]:
    running = start_server(["serve"], attach_env, free_port())
    yield running
    stop_server(running)


def post(server: Server, query: str, headers: dict[str, str], **variables: Any) -> Any:
    answer = httpx.post(
        server.graphql, json={"query": query, "variables": variables}, headers=headers
    )
    return answer.json()


@pytest.fixture(scope="module")
def target(attach_server: Server) -> tuple[str, str]:
    """(incident id, reporter id) of a demo incident of the e2e tenant (the anonymous
    development principal reads it); other tests of the tenant add incidents without one."""
    page = post(
        attach_server,
        "{ incidents(pagination: {first: 100}) { edges { node { id reporter { id } } } } }",
        {},
    )
    node = next(
        edge["node"] for edge in page["data"]["incidents"]["edges"] if edge["node"]["reporter"]
    )
    return node["id"], node["reporter"]["id"]


def bearer(server: Server, env: dict[str, str], role: str, **claims: str) -> dict[str, str]:
    minted = issuer_of(server, env).mint(
        {"sub": claims.pop("sub", f"attach-{role}"), "tenant_id": "e2e", "roles": [role], **claims},
        600,
    )
    return {"authorization": f"Bearer {minted}"}


def upload(
    server: Server,
    headers: dict[str, str],
    incident_id: str,
    content: bytes,
    *,
    name: str = "x.txt",
    part_type: str = "text/plain",
) -> httpx.Response:
    operations = {"query": ADD, "variables": {"incidentId": incident_id, "file": None}}
    return httpx.post(
        server.graphql,
        data={"operations": orjson.dumps(operations).decode(), "map": '{"0": ["variables.file"]}'},
        files={"0": (name, content, part_type)},
        headers={**PREFLIGHT, **headers},
    )


def attachments(server: Server, incident_id: str) -> dict[str, Any]:
    answer = post(server, LIST, {}, id=incident_id)
    assert "errors" not in answer, answer
    return answer["data"]["incident"]  # type: ignore[no-any-return]


def test_upload_list_and_download(
    attach_server: Server, attach_env: dict[str, str], target: tuple[str, str]
) -> None:
    incident_id, user_id = target
    operator = bearer(attach_server, attach_env, "operator", sub=user_id)
    answer = upload(attach_server, operator, incident_id, PNG).json()
    assert "errors" not in answer, answer
    added = answer["data"]["addIncidentAttachment"]
    assert added["filename"] == "x.txt"
    assert added["contentType"] == "image/png"  # sniffed: neither the name nor the part type
    assert added["size"] == len(PNG)
    assert added["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert added["uploadedBy"] == {"id": user_id}

    listed = attachments(attach_server, incident_id)
    assert {k: v for k, v in listed["attachments"][-1].items() if k != "url"} == {
        k: added[k] for k in ("id", "filename", "contentType", "size", "sha256")
    }
    assert listed["history"][-1]["kind"] == "ATTACHMENT_ADDED"

    viewer = bearer(attach_server, attach_env, "viewer")
    download = httpx.get(attach_server.url + added["url"], headers=viewer)
    assert download.status_code == 200, download.text
    assert download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"x.txt\"; filename*=UTF-8''x.txt"
    )


def test_downloads_are_refused_without_the_callers_right(
    attach_server: Server, attach_env: dict[str, str], target: tuple[str, str]
) -> None:
    incident_id, _ = target
    admin = bearer(attach_server, attach_env, "admin")
    added = upload(attach_server, admin, incident_id, b"hello\n").json()
    url = attach_server.url + added["data"]["addIncidentAttachment"]["url"]
    assert added["data"]["addIncidentAttachment"]["contentType"] == "text/plain"

    def status(headers: dict[str, str], link: str = url) -> tuple[int, str]:
        answer = httpx.get(link, headers=headers)
        return answer.status_code, answer.json()["errors"][0]["extensions"]["code"]

    assert status({}) == (401, "UNAUTHENTICATED")  # the anonymous principal is no caller
    other = issuer_of(attach_server, attach_env).mint(
        {"sub": "attach-other", "tenant_id": OTHER_TENANT, "roles": ["admin"]}, 600
    )
    assert status({"authorization": f"Bearer {other}"}) == (403, "FORBIDDEN")
    token = url.split("token=", 1)[1]
    assert status(admin, url[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")) == (403, "FORBIDDEN")
    tenant, attachment = URLSafeTimedSerializer(SECRET, salt=SALT).loads(token)

    class HourAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 3600

    expired = URLSafeTimedSerializer(SECRET, salt=SALT, signer=HourAgo).dumps([tenant, attachment])
    link = f"{attach_server.url}/incidents/attachments?token={expired}"
    answer = httpx.get(link, headers=admin)
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["message"] == "The download link has expired"
    assert httpx.get(url, headers=admin).content == b"hello\n"  # the right caller still may


def test_the_size_limit_keeps_nothing(
    attach_server: Server, attach_env: dict[str, str], target: tuple[str, str]
) -> None:
    incident_id, _ = target
    before = attachments(attach_server, incident_id)
    admin = bearer(attach_server, attach_env, "admin")
    answer = upload(attach_server, admin, incident_id, b"a" * (LIMIT + 1)).json()
    assert answer["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert answer["data"] is None
    after = attachments(attach_server, incident_id)
    assert [one["id"] for one in after["attachments"]] == [
        one["id"] for one in before["attachments"]
    ]
    assert after["history"] == before["history"]
    exact = upload(attach_server, admin, incident_id, b"a" * LIMIT).json()
    assert exact["data"]["addIncidentAttachment"]["size"] == LIMIT
    # A body past the limit and the request's other fields (1 MB) is refused unread.
    huge = upload(attach_server, admin, incident_id, b"a" * (1024 * 1024 + LIMIT + 1))
    assert huge.status_code == 413
    assert huge.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert (
        len(attachments(attach_server, incident_id)["attachments"]) == len(after["attachments"]) + 1
    )


def test_a_streamed_body_past_the_limit_is_cut_off(
    attach_server: Server, attach_env: dict[str, str], target: tuple[str, str]
) -> None:
    """Without a Content-Length (chunked), the bytes are counted as they arrive."""
    boundary = "opsgraph-test-boundary"
    operations = orjson.dumps(
        {"query": ADD, "variables": {"incidentId": target[0], "file": None}}
    ).decode()

    def body() -> Iterator[bytes]:
        for name, value in (("operations", operations), ("map", '{"0": ["variables.file"]}')):
            yield (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            ).encode()
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        for _ in range(40):
            yield b"a" * 32 * 1024
        yield f"\r\n--{boundary}--\r\n".encode()

    before = [one["id"] for one in attachments(attach_server, target[0])["attachments"]]
    answer = httpx.post(
        attach_server.graphql,
        content=body(),
        headers={
            **PREFLIGHT,
            **bearer(attach_server, attach_env, "admin"),
            "content-type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert answer.status_code == 413, answer.text
    assert answer.json()["errors"][0]["message"] == (
        f"Request body larger than {1024 * 1024 + LIMIT} bytes"
    )
    after = attachments(attach_server, target[0])["attachments"]
    assert [one["id"] for one in after] == before


@pytest.mark.parametrize(
    ("fields", "files", "reason"),
    [
        ({"operations": '{"query": "mutation { __typename }"}'}, {}, "has no map field"),
        ({"map": "{}"}, {}, "has no operations field"),
        (
            {
                "operations": orjson.dumps({"query": ADD, "variables": {"file": None}}).decode(),
                "map": '{"1": ["variables.file"]}',
            },
            {"0": ("a.txt", b"a", "text/plain")},
            "map names the file part '1', which the request does not carry",
        ),
        (
            {
                "operations": orjson.dumps({"query": ADD, "variables": {}}).decode(),
                "map": '{"0": ["variables.file"]}',
            },
            {"0": ("a.txt", b"a", "text/plain")},
            "names no place in operations",
        ),
        ({"operations": "[]", "map": "{}"}, {}, "batches are not served"),
        ({"operations": "{", "map": "{}"}, {}, "operations field is not valid JSON"),
    ],
)
def test_malformed_multipart_requests_are_refused(
    attach_server: Server, fields: dict[str, str], files: dict[str, Any], reason: str
) -> None:
    answer = httpx.post(
        attach_server.graphql,
        data=fields,
        files=files or {"x": ("x", b"", "text/plain")},
        headers=PREFLIGHT,
    )
    assert answer.status_code == 400, answer.text
    error = answer.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert reason in error["message"]


def test_a_multipart_post_without_a_preflight_header_is_refused(
    attach_server: Server, target: tuple[str, str]
) -> None:
    operations = {"query": ADD, "variables": {"incidentId": target[0], "file": None}}
    answer = httpx.post(
        attach_server.graphql,
        data={"operations": orjson.dumps(operations).decode(), "map": '{"0": ["variables.file"]}'},
        files={"0": ("a.txt", b"a", "text/plain")},
    )
    assert answer.status_code == 400
    assert "Cross-Site Request Forgery" in answer.json()["errors"][0]["message"]
