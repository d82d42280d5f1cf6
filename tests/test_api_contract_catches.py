"""The contract suite can fail: run its checks against a deliberately vulnerable API.

A careless API (decodes tokens without verifying them, trusts the id in the URL, accepts
any field, has no body limit, answers with FastAPI's default error bodies) must fail every
check of tests/test_api_contract.py that it breaks.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import time
import types
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Header, HTTPException, Request
from joserfc import jwt
from joserfc.jwk import OctKey

from backend_skills.serve import ServedApp


def _load_suite() -> types.ModuleType:
    # --import-mode=importlib keeps tests/ off sys.path: load the suite by its path.
    spec = importlib.util.spec_from_file_location(
        "api_contract_suite", Path(__file__).with_name("test_api_contract.py")
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


suite = _load_suite()
KEY = OctKey.generate_key(256)


def _claims_without_verifying(authorization: str | None) -> dict:
    """The classic mistake: read the payload, never check the signature or expiry."""
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(401, "no token")
    try:
        payload = authorization.removeprefix("Bearer ").split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise HTTPException(401, "bad token") from exc


def make_vulnerable_app(_work_dir: Path) -> FastAPI:
    app = FastAPI()
    notes: dict[int, dict] = {}

    @app.post("/token")
    def token(username: str) -> dict:
        now = int(time.time())
        claims = {"sub": username, "iat": now, "exp": now + 300}
        return {"access_token": jwt.encode({"alg": "HS256"}, claims, KEY, algorithms=["HS256"])}

    @app.post("/notes", openapi_extra={"security": [{"bearer": []}]})
    async def create(request: Request, authorization: str | None = Header(None)) -> dict:
        user = _claims_without_verifying(authorization)["sub"]
        body = await request.json()  # any field, any size
        note = {"id": len(notes) + 1, "owner": user, **body}
        notes[note["id"]] = note
        return note

    @app.get("/notes/{note_id}", openapi_extra={"security": [{"bearer": []}]})
    def read(note_id: int, q: str = "", authorization: str | None = Header(None)) -> dict:
        _claims_without_verifying(authorization)
        if note_id not in notes:
            raise HTTPException(404, "no such note")
        return notes[note_id]  # nobody checks the owner

    app.openapi_schema = None
    original = app.openapi

    def openapi() -> dict:
        schema = original()
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"}
        }
        return schema

    app.openapi = openapi
    return app


def _vulnerable_contract() -> types.ModuleType:
    contract = types.ModuleType("vulnerable_contract")
    contract.API_CONTRACT = "bearer-jwt-v1"  # opted in, as a real example's contract.py is
    contract.USERS = ("alice", "bob")
    contract.MAX_BODY_BYTES = 1024
    contract.WRITE_OPERATION = ("POST", "/notes")
    contract.make_app = make_vulnerable_app
    contract.valid_write_body = lambda: {"text": "hello"}

    def access_token(client: httpx.Client, username: str) -> str:
        return client.post("/token", params={"username": username}).json()["access_token"]

    def expired_access_token(_app, username: str) -> str:
        past = int(time.time()) - 3600
        claims = {"sub": username, "iat": past - 300, "exp": past}
        return jwt.encode({"alg": "HS256"}, claims, KEY, algorithms=["HS256"])

    def create_owned_object(client: httpx.Client, token: str, label: str) -> str:
        response = client.post(
            "/notes", json={"text": label}, headers={"Authorization": f"Bearer {token}"}
        )
        return f"/notes/{response.json()['id']}"

    contract.access_token = access_token
    contract.expired_access_token = expired_access_token
    contract.create_owned_object = create_owned_object
    return contract


@pytest.fixture(scope="module")
def vulnerable(tmp_path_factory):
    contract = _vulnerable_contract()
    app = contract.make_app(tmp_path_factory.mktemp("vulnerable"))
    with ServedApp(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        served = suite.Served(
            "vulnerable", contract, app, client, client.get("/openapi.json").json()
        )
        served.tokens = {user: contract.access_token(client, user) for user in contract.USERS}
        yield served


@pytest.mark.parametrize(
    "check",
    [
        suite.test_bad_tokens_get_401_on_every_protected_operation,
        suite.test_another_users_object_is_403_or_404,
        suite.test_unknown_body_fields_get_422,
        suite.test_bodies_over_the_limit_get_413,
        suite.test_unknown_routes_and_methods_answer_with_problem_details,
    ],
    ids=lambda check: check.__name__.removeprefix("test_"),
)
def test_the_suite_fails_a_vulnerable_api(vulnerable, check):
    with pytest.raises(AssertionError):
        check(vulnerable)


def test_the_suite_passes_what_the_vulnerable_api_gets_right(vulnerable):
    """The same fixture passes the checks it does not break: the failures above are real."""
    suite.test_schema_is_served_and_valid_openapi(vulnerable)
    suite.test_protected_operations_declare_bearer_security(vulnerable)
    suite.test_the_owned_object_path_is_a_secured_operation(vulnerable)
