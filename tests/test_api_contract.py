"""The API contract the skills library's HTTP API examples opt in to (issue 3).

It covers the examples that opt in: their ``contract.py`` declares
``API_CONTRACT = "bearer-jwt-v1"`` (backend_skills.examples; a folder with an ``app.py``
and no marker is not attacked) and holds the hooks (see
skills/api-patterns/examples/python-fastapi/README.md): ``make_app``, ``access_token``,
``expired_access_token``, ``create_owned_object``, ``WRITE_OPERATION``,
``valid_write_body``, ``USERS`` and ``MAX_BODY_BYTES``. This suite serves each app with a
real uvicorn on 127.0.0.1 and attacks it over HTTP: bad and forged tokens, another user's
object, unknown fields, oversize bodies, SQL metacharacters in every string parameter. Every
error must be an RFC 9457 problem-details body, never a stack trace.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey
from openapi_spec_validator import validate

from backend_skills.examples import api_examples, load_example_module
from backend_skills.serve import ServedApp

EXAMPLES = api_examples()
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
SQL_PAYLOADS = ("' OR '1'='1", "1; DROP TABLE users;--", '" OR ""="', "%", "_", "') --")
TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', "sqlalchemy.exc")


@dataclass
class Operation:
    method: str
    template: str
    spec: dict[str, Any]

    @property
    def secured(self) -> bool:
        return bool(self.spec.get("security"))

    def string_parameters(self) -> list[dict[str, Any]]:
        return [
            p
            for p in self.spec.get("parameters", [])
            if p.get("in") in {"query", "path"} and _is_string(p.get("schema", {}))
        ]


@dataclass
class Served:
    example: str
    contract: ModuleType
    app: Any
    client: httpx.Client
    schema: dict[str, Any]
    tokens: dict[str, str] = field(default_factory=dict)

    def operations(self) -> list[Operation]:
        global_security = self.schema.get("security")
        found = []
        for template, item in self.schema.get("paths", {}).items():
            for method in HTTP_METHODS:
                if method in item:
                    spec = dict(item[method])
                    if "security" not in spec and global_security:
                        spec["security"] = global_security
                    found.append(Operation(method, template, spec))
        return found

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


def _is_string(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
        return True
    return any(_is_string(s) for s in schema.get("anyOf", []))


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda e: f"{e[0]}/{e[1]}")
def served(request, tmp_path_factory) -> Iterator[Served]:
    skill, example = request.param
    contract = load_example_module(skill, example, "contract")
    app = contract.make_app(tmp_path_factory.mktemp(example))
    with ServedApp(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        schema = client.get("/openapi.json").json()
        result = Served(example, contract, app, client, schema)
        result.tokens = {user: contract.access_token(client, user) for user in contract.USERS}
        yield result


def assert_problem(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    """An RFC 9457 problem-details body with one of STATUSES and no trace in it."""
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    assert media_type == "application/problem+json", (media_type, response.text[:300])
    body = response.json()
    assert body.get("status") == response.status_code, body
    assert isinstance(body.get("title"), str) and body["title"], body
    assert not any(marker in response.text for marker in TRACE_MARKERS), response.text[:500]
    return body


# --------------------------------------------------------------------------- the schema


def test_schema_is_served_and_valid_openapi(served: Served):
    validate(served.schema)
    assert served.schema["paths"], "the schema lists no paths"


def test_protected_operations_declare_bearer_security(served: Served):
    schemes = served.schema.get("components", {}).get("securitySchemes", {})
    bearer = {
        name
        for name, scheme in schemes.items()
        if (scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer")
        or scheme.get("type") in {"oauth2", "openIdConnect"}
    }
    assert bearer, f"no bearer security scheme in {sorted(schemes)}"
    secured = [op for op in served.operations() if op.secured]
    assert secured, "no operation declares security"
    for op in secured:
        used = {name for requirement in op.spec["security"] for name in requirement}
        assert used <= bearer, (op.method, op.template, used)


def test_the_owned_object_path_is_a_secured_operation(served: Served):
    path = served.contract.create_owned_object(served.client, served.tokens["alice"], "probe")
    matching = [
        op for op in served.operations() if op.method == "get" and _matches(op.template, path)
    ]
    assert matching, f"GET {path} is not in the schema"
    assert all(op.secured for op in matching), f"GET {path} declares no security"


def _matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, path.split("?")[0]) is not None


# --------------------------------------------------------------------------- bad tokens


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, claims, _ = token.split(".")
    pad = lambda part: part + "=" * (-len(part) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(header))),
        json.loads(base64.urlsafe_b64decode(pad(claims))),
    )


def _alg_none(token: str) -> str:
    header, claims = _unverified(token)
    forged_header = {**header, "alg": "none"}
    return f"{_b64(json.dumps(forged_header).encode())}.{_b64(json.dumps(claims).encode())}."


def _signed_with_another_key(token: str) -> str:
    """The same header and claims, signed with a fresh key of the same kind."""
    header, claims = _unverified(token)
    alg = header["alg"]
    if alg.startswith("HS"):
        key = OctKey.generate_key(256)
    elif alg.startswith(("RS", "PS")):
        key = RSAKey.generate_key(2048)
    elif alg.startswith("ES"):
        curve = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}[alg]
        key = ECKey.generate_key(curve)
    elif alg in {"EdDSA", "Ed25519"}:
        key = OKPKey.generate_key("Ed25519")
    else:
        pytest.fail(f"unexpected signing algorithm {alg!r}")
    return jwt.encode(header, claims, key, algorithms=[alg])


def _bad_tokens(served: Served) -> dict[str, dict[str, str]]:
    real = served.tokens["alice"]
    expired = served.contract.expired_access_token(served.app, "alice")
    return {
        "no token": {},
        "not a JWT": {"Authorization": "Bearer not-a-token"},
        "three empty parts": {"Authorization": "Bearer .."},
        "wrong scheme": {"Authorization": f"Basic {real}"},
        "alg none": {"Authorization": f"Bearer {_alg_none(real)}"},
        "expired": {"Authorization": f"Bearer {expired}"},
        "another key": {"Authorization": f"Bearer {_signed_with_another_key(real)}"},
    }


def _concrete(template: str, owned_path: str | None) -> str:
    if owned_path and _matches(template, owned_path):
        return owned_path
    return re.sub(r"\{[^}]+\}", "1", template)


def test_expired_token_hook_really_is_the_apps_token_but_expired(served: Served):
    """Guards the hook: an expired token must differ from a live one only in time."""
    expired = served.contract.expired_access_token(served.app, "alice")
    live_header, live_claims = _unverified(served.tokens["alice"])
    header, claims = _unverified(expired)
    assert header["alg"] == live_header["alg"]
    assert header.get("kid") == live_header.get("kid")
    assert "exp" in claims and claims["exp"] < live_claims["exp"]
    assert claims.get("sub") == live_claims.get("sub")


def test_bad_tokens_get_401_on_every_protected_operation(served: Served):
    owned = served.contract.create_owned_object(served.client, served.tokens["alice"], "x")
    bad = _bad_tokens(served)
    protected = [op for op in served.operations() if op.secured]
    write_method, write_path = served.contract.WRITE_OPERATION
    for op in protected:
        path = _concrete(op.template, owned)
        body = (
            served.contract.valid_write_body()
            if (op.method.upper(), op.template) == (write_method.upper(), write_path)
            else {}
        )
        for kind, headers in bad.items():
            kwargs: dict[str, Any] = {"headers": headers}
            if op.method in {"post", "put", "patch"}:
                kwargs["json"] = body
            response = served.client.request(op.method.upper(), path, **kwargs)
            assert response.status_code == 401, (kind, op.method, path, response.text[:200])
            assert_problem(response, 401)
            assert response.headers.get("www-authenticate", "").lower().startswith("bearer"), (
                kind,
                op.method,
                path,
            )
    # The same requests with the real token are not refused for authentication.
    response = served.client.get(owned, headers=served.auth("alice"))
    assert response.status_code == 200, response.text[:200]


# --------------------------------------------------------------------------- other users


def test_another_users_object_is_403_or_404(served: Served):
    label = f"alice-private-{uuid.uuid4().hex}"
    path = served.contract.create_owned_object(served.client, served.tokens["alice"], label)
    mine = served.client.get(path, headers=served.auth("alice"))
    assert mine.status_code == 200 and label in mine.text
    theirs = served.client.get(path, headers=served.auth("bob"))
    assert_problem(theirs, 403, 404)
    assert label not in theirs.text
    delete_declared = any(
        op.method == "delete" and _matches(op.template, path) for op in served.operations()
    )
    if delete_declared:
        assert_problem(served.client.delete(path, headers=served.auth("bob")), 403, 404)
        # Bob's delete did nothing: the object is still Alice's.
        assert served.client.get(path, headers=served.auth("alice")).status_code == 200


# --------------------------------------------------------------------------- bodies


def test_unknown_body_fields_get_422(served: Served):
    method, path = served.contract.WRITE_OPERATION
    body = served.contract.valid_write_body()
    accepted = served.client.request(method, path, json=body, headers=served.auth("alice"))
    assert 200 <= accepted.status_code < 300, accepted.text[:300]
    rejected = served.client.request(
        method,
        path,
        json={**served.contract.valid_write_body(), "is_admin": True, "owner_id": 1},
        headers=served.auth("alice"),
    )
    assert_problem(rejected, 422)


def test_bodies_over_the_limit_get_413(served: Served):
    method, path = served.contract.WRITE_OPERATION
    limit = served.contract.MAX_BODY_BYTES
    assert isinstance(limit, int) and 0 < limit <= 10 * 1024 * 1024
    oversize = json.dumps({"padding": "x" * (limit + 1)}).encode()
    headers = {**served.auth("alice"), "Content-Type": "application/json"}
    declared = served.client.request(method, path, content=oversize, headers=headers)
    assert_problem(declared, 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count the bytes
        for start in range(0, len(oversize), 4096):
            yield oversize[start : start + 4096]

    streamed = served.client.request(method, path, content=chunks(), headers=headers)
    assert_problem(streamed, 413)


# --------------------------------------------------------------------------- injection


def _with_payload(body: Any, payload: str) -> Any:
    if isinstance(body, dict):
        return {key: _with_payload(value, payload) for key, value in body.items()}
    if isinstance(body, list):
        return [_with_payload(value, payload) for value in body]
    return payload if isinstance(body, str) else body


def test_sql_metacharacters_never_cause_5xx_or_leak_rows(served: Served):
    bob_label = f"bob-secret-{uuid.uuid4().hex}"
    served.contract.create_owned_object(served.client, served.tokens["bob"], bob_label)
    alice_path = served.contract.create_owned_object(
        served.client, served.tokens["alice"], "alice-visible"
    )
    checked = 0
    for op in served.operations():
        for parameter in op.string_parameters():
            for payload in SQL_PAYLOADS:
                path = _concrete(op.template, alice_path)
                params: dict[str, str] = {}
                if parameter["in"] == "path":
                    encoded = urllib.parse.quote(payload, safe="")
                    path = op.template.replace("{" + parameter["name"] + "}", encoded)
                    path = _concrete(path, alice_path)
                else:
                    params[parameter["name"]] = payload
                kwargs: dict[str, Any] = {"params": params, "headers": served.auth("alice")}
                if op.method in {"post", "put", "patch"}:
                    kwargs["json"] = {}
                response = served.client.request(op.method.upper(), path, **kwargs)
                assert response.status_code < 500, (op.template, parameter["name"], payload)
                assert bob_label not in response.text, (op.template, parameter["name"], payload)
                checked += 1
    method, path = served.contract.WRITE_OPERATION
    for payload in SQL_PAYLOADS:
        body = _with_payload(served.contract.valid_write_body(), payload)
        response = served.client.request(method, path, json=body, headers=served.auth("alice"))
        assert response.status_code < 500, (method, path, payload, response.text[:200])
        assert bob_label not in response.text
        checked += 1
    assert checked >= len(SQL_PAYLOADS)


# --------------------------------------------------------------------------- problem details


def test_unknown_routes_and_methods_answer_with_problem_details(served: Served):
    assert_problem(served.client.get("/no-such-route-here"), 404)
    assert_problem(served.client.request("DELETE", "/openapi.json"), 405)
    malformed = served.client.request(
        *served.contract.WRITE_OPERATION,
        content=b'{"not": json',
        headers={**served.auth("alice"), "Content-Type": "application/json"},
    )
    assert_problem(malformed, 400, 422)


def test_every_api_example_has_contract_hooks():
    assert EXAMPLES, "no API examples found"
    for skill, example in EXAMPLES:
        contract = load_example_module(skill, example, "contract")
        assert contract.API_CONTRACT == "bearer-jwt-v1", example  # what the listing read
        for hook in (
            "make_app",
            "access_token",
            "expired_access_token",
            "create_owned_object",
            "valid_write_body",
        ):
            assert callable(getattr(contract, hook, None)), f"{example}: contract.{hook}"
        assert len(contract.USERS) == 2 and isinstance(contract.MAX_BODY_BYTES, int)
        method, path = contract.WRITE_OPERATION
        assert method.upper() in {"POST", "PUT", "PATCH"} and path.startswith("/")
