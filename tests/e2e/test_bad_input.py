"""The bad-input suite, against the real server process: forged tokens, query bombs, huge and
malformed bodies, wrong variables, SQL-shaped values, batches, cross-tenant ids. Each case
asserts the exact status and error code, no stack trace, and an unchanged database."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from opsgraph.auth.issuer import DevIssuer
from tests.e2e.conftest import Server, issuer_of
from tests.e2e.ws import ws_client

COUNTS = "{ incidents { totalCount } users { totalCount } teams { totalCount } }"
CREATE_OVER_WS = 'mutation { createIncident(input: {title: "Smuggled"}) { id } }'


def b64(data: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": "ISS",
        "aud": "opsgraph",
        "sub": "x",
        "tenant_id": "e2e",
        "exp": now + 300,
        "nbf": now,
    }
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


def token_cases() -> dict[str, Callable[[DevIssuer], str]]:
    def signed(i: DevIssuer, **over: Any) -> str:
        return jwt.encode(
            {"alg": "RS256", "kid": i.key.kid}, claims(**{"iss": i.issuer, **over}), i.key
        )

    return {
        "expired token": lambda i: signed(i, exp=int(time.time()) - 300),
        "wrong audience": lambda i: signed(i, aud="intranet"),
        "wrong issuer": lambda i: signed(i, iss="https://evil.example"),
        "alg none": lambda i: f"{b64({'alg': 'none'})}.{b64(claims(iss=i.issuer))}.",
        "HS256 keyed with the public key": lambda i: jwt.encode(
            {"alg": "HS256"},
            claims(iss=i.issuer),
            OctKey.import_key(orjson.dumps(i.jwks())),
            algorithms=["HS256"],
        ),
        "unknown kid": lambda i: jwt.encode(
            {"alg": "RS256", "kid": "rotated-away"},
            claims(iss=i.issuer),
            RSAKey.generate_key(2048, private=True),
        ),
        "forged signature": lambda i: jwt.encode(
            {"alg": "RS256", "kid": i.key.kid},
            claims(iss=i.issuer),
            RSAKey.generate_key(2048, private=True),
        ),
        "key in the header": lambda i: jwt.encode(
            {"alg": "RS256", "kid": i.key.kid, "jku": "https://evil.example/keys"},
            claims(iss=i.issuer),
            i.key,
        ),
        "not a JWT": lambda i: "definitely-not-a-token",
    }


TOKENS = token_cases()

# name: (json body or raw bytes, headers, status, code)
DEEP = (
    "{ users { edges { node { teams { members { teams { members { teams { members { teams "
    "{ name } } } } } } } } } } }"
)
NOBODY = "00000000-0000-4000-8000-00000000beef"
CASES: dict[str, tuple[Any, dict[str, str], int, str]] = {
    "depth bomb": ({"query": DEEP}, {}, 400, "MAX_DEPTH_LIMIT"),
    "alias bomb": ({"query": "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }"},
                   {}, 400, "MAX_ALIASES_LIMIT"),
    "fragment bomb": ({"query": "{ teams { edges { node { ...F5 } } } } "
                       "fragment F0 on Team { a: name b: name } " + " ".join(
                           f"fragment F{i} on Team {{ ...F{i - 1} ...F{i - 1} }}"
                           for i in range(1, 6))}, {}, 400, "MAX_ALIASES_LIMIT"),
    "directive flood": ({"query": "{ __typename " + "@include(if: true) " * 60 + "}"}, {},
                        400, "MAX_DIRECTIVES_LIMIT"),
    "token flood": ({"query": "{ " + "__typename " * 6000 + "}"}, {}, 400, "MAX_TOKENS_LIMIT"),
    "cost bomb": ({"query": "{ incidents(pagination: {first: 100}) { edges { node { comments "
                   "{ author { teams { members { name } } } } } } } }"}, {}, 400,
                  "MAX_COST_LIMIT"),
    "circular fragments": ({"query": "{ teams { edges { node { ...A } } } } fragment A on Team "
                            "{ members { teams { ...A } } }"}, {}, 400,
                           "GRAPHQL_VALIDATION_FAILED"),
    "unknown field": ({"query": "{ incidents { secrets } }"}, {}, 400,
                      "GRAPHQL_VALIDATION_FAILED"),
    "syntax error": ({"query": "{ incidents { "}, {}, 400, "GRAPHQL_PARSE_FAILED"),
    "string for Int": ({"query": "query($n: Int!) { incidents(pagination: {first: $n}) "
                        "{ totalCount } }", "variables": {"n": "ten"}}, {}, 400,
                       "BAD_USER_INPUT"),
    "null for non-null": ({"query": "query($id: ID!) { incident(id: $id) { id } }",
                           "variables": {"id": None}}, {}, 400, "BAD_USER_INPUT"),
    "object for ID": ({"query": "query($id: ID!) { incident(id: $id) { id } }",
                       "variables": {"id": {"$ne": 1}}}, {}, 400, "BAD_USER_INPUT"),
    "unknown enum value": ({"query": "query($s: [IncidentStatus!]) { incidents(filter: "
                            "{status: $s}) { totalCount } }", "variables": {"s": ["PANIC"]}},
                           {}, 400, "BAD_USER_INPUT"),
    "page too large": ({"query": "{ incidents(pagination: {first: 1000}) { totalCount } }"},
                       {}, 200, "BAD_USER_INPUT"),
    "malformed cursor": ({"query": '{ incidents(pagination: {after: "\' OR 1=1 --"}) '
                          "{ totalCount } }"}, {}, 200, "BAD_USER_INPUT"),
    "SQL-shaped id": ({"query": "mutation { assignIncident(id: \"1 OR 1=1\", userId: \"x\") "
                       "{ id } }"}, {}, 200, "BAD_USER_INPUT"),
    "SQL-shaped team filter": ({"query": '{ incidents(filter: {teamId: "\'; DROP TABLE '
                                'incidents.incidents; --"}) { totalCount } }'}, {}, 200,
                               "BAD_USER_INPUT"),
    "huge title": ({"query": "mutation($t: String!) { createIncident(input: {title: $t}) "
                    "{ id } }", "variables": {"t": "x" * 100_000}}, {}, 200, "BAD_USER_INPUT"),
    "NUL in a variable": ({"query": "mutation($n: String!) { createTeam(input: {name: $n}) "
                           "{ id } }", "variables": {"n": "bad\u0000name"}}, {}, 200,
                          "BAD_USER_INPUT"),
    "NUL in a literal": ({"query": '{ users(filter: {search: "x\\u0000y"}) { totalCount } }'},
                         {}, 200, "BAD_USER_INPUT"),
    "empty title": ({"query": 'mutation { createIncident(input: {title: "   "}) { id } }'},
                    {}, 200, "BAD_USER_INPUT"),
    "unknown incident": ({"query": 'mutation { updateIncident(id: "00000000-0000-4000-8000-'
                          '000000000000", input: {title: "x"}) { id } }'}, {}, 200,
                         "NOT_FOUND"),
    "assignee who does not exist": ({"query": 'mutation { createIncident(input: {title: "x", '
                                     f'assigneeId: "{NOBODY}"}}) {{ id }} }}'}, {}, 200,
                                    "NOT_FOUND"),
    "reporter who does not exist": ({"query": 'mutation { createIncident(input: {title: "x", '
                                     f'reporterId: "{NOBODY}"}}) {{ id }} }}'}, {}, 200,
                                    "NOT_FOUND"),
    "team that does not exist": ({"query": 'mutation { createIncident(input: {title: "x", '
                                  f'teamId: "{NOBODY}"}}) {{ id }} }}'}, {}, 200, "NOT_FOUND"),
    "unknown operation name": ({"query": "query A { __typename }", "operationName": "B"}, {},
                               400, "BAD_REQUEST"),
    "two operations, no name": ({"query": "query A { __typename } query B { __typename }"},
                                {}, 400, "BAD_REQUEST"),
    "batch flood": ([{"query": "{ __typename }"}] * 100, {}, 400, "BAD_REQUEST"),
    "variables not an object": ({"query": "{ __typename }", "variables": [1, 2]}, {}, 400,
                                "BAD_REQUEST"),
    "query not a string": ({"query": {"nested": True}}, {}, 400, "BAD_REQUEST"),
    "invalid UTF-8": (b'{"query": "{ __typename \xff\xfe }"}',
                      {"content-type": "application/json"}, 400, "BAD_REQUEST"),
    "not JSON": (b"{query: nope", {"content-type": "application/json"}, 400, "BAD_REQUEST"),
    "oversized body": (b'{"query": "' + b" " * (1024 * 1024 + 10) + b'{ __typename }"}',
                       {"content-type": "application/json"}, 413, "BAD_REQUEST"),
    "CSRF (text/plain)": (b'{"query": "mutation { createTeam(input: {name: \\"csrf\\"}) '
                          b'{ id } }"}', {"content-type": "text/plain"}, 400, "BAD_REQUEST"),
    "tenant that does not exist": ({"query": "{ __typename }"},
                                   {"x-opsgraph-tenant": "ghost-corp"}, 401,
                                   "UNAUTHENTICATED"),
}  # fmt: skip


def counts(server: Server) -> Any:
    return httpx.post(server.graphql, json={"query": COUNTS}).json()["data"]


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text[:500]
    errors = response.json()["errors"]
    assert [e["extensions"]["code"] for e in errors][:1] == [code], errors
    assert all(e["message"] for e in errors)
    assert "Traceback" not in response.text and "stacktrace" not in response.text


@pytest.mark.parametrize("case", list(CASES))
def test_bad_request(server: Server, case: str) -> None:
    body, headers, status, code = CASES[case]
    before = counts(server)
    if isinstance(body, bytes):
        response = httpx.post(server.graphql, content=body, headers=headers, timeout=30)
    else:
        response = httpx.post(server.graphql, json=body, headers=headers, timeout=30)
    assert_refused(response, status, code)
    assert counts(server) == before


@pytest.mark.parametrize("case", list(TOKENS))
def test_bad_token(server: Server, server_env: dict[str, str], case: str) -> None:
    before = counts(server)
    token = TOKENS[case](issuer_of(server, server_env))
    response = httpx.post(
        server.graphql,
        headers={"authorization": f"Bearer {token}"},
        json={"query": 'mutation { createTeam(input: {name: "intruders"}) { id } }'},
    )
    assert_refused(response, 401, "UNAUTHENTICATED")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert counts(server) == before


def test_mutation_over_get(server: Server) -> None:
    before = counts(server)
    response = httpx.get(
        server.graphql, params={"query": 'mutation { createTeam(input: {name: "via-get"}) { id } }'}
    )
    assert_refused(response, 405, "BAD_REQUEST")
    assert counts(server) == before


def test_sql_shaped_search_is_just_text(server: Server) -> None:
    before = counts(server)
    response = httpx.post(
        server.graphql,
        json={
            "query": '{ incidents(filter: {search: "\'; DELETE FROM incidents.incidents; --"}) '
            "{ totalCount } }"
        },
    )
    assert response.json() == {"data": {"incidents": {"totalCount": 0}}}
    assert counts(server) == before


WS_CASES = {
    "subscribe before connection_init": (
        [{"id": "1", "type": "subscribe", "payload": {"query": CREATE_OVER_WS}}],
        4401,
    ),
    "a mutation smuggled into connection_init": (
        [{"type": "connection_init", "payload": {"query": CREATE_OVER_WS}}, "not json"],
        4400,
    ),
    "an unknown message type": ([{"type": "connection_init"}, {"type": "execute"}], 4400),
    "a subscribe without a payload": (
        [{"type": "connection_init"}, {"id": "1", "type": "subscribe"}],
        4400,
    ),
}


@pytest.mark.parametrize("case", WS_CASES)
async def test_bad_websocket_message(server: Server, case: str) -> None:
    """Each refused by its close code, the mutation inside never run."""
    messages, code = WS_CASES[case]
    before = counts(server)
    async with ws_client(server.graphql, init=False) as client:
        for message in messages:
            if isinstance(message, str):
                await client.connection.send(message)
            else:
                await client.send(message)
        assert (await client.closed_with())[0] == code
    assert counts(server) == before


async def test_an_id_of_nobody_over_the_websocket(server: Server) -> None:
    """Mutations over the socket check references as over HTTP: NOT_FOUND, nothing written."""
    before = counts(server)
    mutation = (
        f'mutation {{ createIncident(input: {{title: "x", assigneeId: "{NOBODY}"}}) {{ id }} }}'
    )
    async with ws_client(server.graphql) as client:
        await client.subscribe("1", mutation)
        assert await client.refusal("1") == "NOT_FOUND"
    assert counts(server) == before
