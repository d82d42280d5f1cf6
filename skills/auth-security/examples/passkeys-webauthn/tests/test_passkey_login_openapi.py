"""What the OpenAPI document promises really happens: every declared status, and paging.

``STATUS_CASES`` holds one real request per (operation, status) the document declares; the
first test fails if the document declares a status nobody provokes, or the table provokes
one the document does not declare.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import cbor2
import httpx
import pytest
from passkey_login.client_flows import add_passkey, register_account
from passkey_login.settings import DEFAULT_ORIGIN
from passkey_login.soft_authenticator import SoftAuthenticator, b64url, b64url_decode

PROBLEM = "application/problem+json"
TOO_BIG = {"nickname": "x" * 20_000}  # over the 16 KiB limit
_names = itertools.count(1)


def fresh_name() -> str:
    return f"spec{next(_names)}"


@dataclass
class Account:
    user_id: int
    username: str
    token: str
    device: SoftAuthenticator

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def passkeys(self) -> str:
        return f"/v1/users/{self.user_id}/credentials"


def new_account(http: httpx.Client) -> Account:
    device, username = SoftAuthenticator(), fresh_name()
    response = register_account(http, device, username, origin=DEFAULT_ORIGIN)
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(body["user_id"], username, body["access_token"], device)


def with_credential_id(credential: dict, credential_id: bytes) -> dict:
    """The same registration answer claiming another credential id, as a device moving a
    passkey between accounts would send ("none" attestation signs nothing)."""
    attestation = cbor2.loads(b64url_decode(credential["response"]["attestationObject"]))
    auth_data = attestation["authData"].replace(b64url_decode(credential["rawId"]), credential_id)
    attestation["authData"] = auth_data
    response = {
        **credential["response"],
        "attestationObject": b64url(cbor2.dumps(attestation)),
        "authenticatorData": b64url(auth_data),
    }
    return {
        **credential,
        "id": b64url(credential_id),
        "rawId": b64url(credential_id),
        "response": response,
    }


@dataclass
class Context:
    http: httpx.Client
    owner: Account  # gains passkeys during the tests
    solo: Account  # keeps exactly one passkey
    other: Account

    @property
    def passkey(self) -> str:
        return f"{self.solo.passkeys}/{self.first_passkey(self.solo)}"

    def first_passkey(self, account: Account) -> int:
        listed = self.http.get(account.passkeys, headers=account.auth).json()
        return listed["data"][0]["id"]

    def registration(self, ceremony_id: str | None = None) -> dict:
        """A real registration answer for a new username (its ceremony id, or the given)."""
        started = self.http.post("/v1/registration/options", json={"username": fresh_name()})
        options = started.json()
        credential = SoftAuthenticator().create(options["publicKey"], origin=DEFAULT_ORIGIN)
        return {"ceremony_id": ceremony_id or options["ceremony_id"], "credential": credential}

    def assertion(self, ceremony_id: str | None = None) -> dict:
        """A real sign-in answer from the owner's device (its ceremony id, or the given)."""
        started = self.http.post("/v1/authentication/options", json={"username": None}).json()
        credential = self.owner.device.get(started["publicKey"], origin=DEFAULT_ORIGIN)
        return {"ceremony_id": ceremony_id or started["ceremony_id"], "credential": credential}


@pytest.fixture(scope="module")
def ctx(http) -> Context:
    return Context(http, new_account(http), new_account(http), new_account(http))


def _registration_race(c: Context) -> httpx.Response:
    """Two ceremonies for one username: the second to finish finds the name taken."""
    username = fresh_name()
    answers = []
    for _ in range(2):
        options = c.http.post("/v1/registration/options", json={"username": username}).json()
        credential = SoftAuthenticator().create(options["publicKey"], origin=DEFAULT_ORIGIN)
        answers.append({"ceremony_id": options["ceremony_id"], "credential": credential})
    assert c.http.post("/v1/registration", json=answers[0]).status_code == 201
    return c.http.post("/v1/registration", json=answers[1])


def _passkey_moved_in(c: Context) -> httpx.Response:
    """The owner adds a passkey whose credential id the other account already has."""
    started = c.http.post(
        "/v1/credentials/options", json={"nickname": "moved"}, headers=c.owner.auth
    ).json()
    credential = SoftAuthenticator().create(started["publicKey"], origin=DEFAULT_ORIGIN)
    taken = c.other.device.credentials[0].credential_id
    body = {
        "ceremony_id": started["ceremony_id"],
        "credential": with_credential_id(credential, taken),
    }
    return c.http.post("/v1/credentials", json=body, headers=c.owner.auth)


def _add_then_delete(c: Context) -> httpx.Response:
    added = add_passkey(c.http, SoftAuthenticator(), c.owner.token, "spare", origin=DEFAULT_ORIGIN)
    return c.http.delete(added.headers["location"], headers=c.owner.auth)


def _add_ceremony(c: Context, ceremony_id: str) -> dict:
    started = c.http.post(
        "/v1/credentials/options", json={"nickname": "n"}, headers=c.owner.auth
    ).json()
    credential = SoftAuthenticator().create(started["publicKey"], origin=DEFAULT_ORIGIN)
    return {"ceremony_id": ceremony_id or started["ceremony_id"], "credential": credential}


REG_OPTIONS = ("POST", "/v1/registration/options")
REGISTER = ("POST", "/v1/registration")
AUTH_OPTIONS = ("POST", "/v1/authentication/options")
AUTHENTICATE = ("POST", "/v1/authentication")
ME = ("GET", "/v1/me")
ADD_OPTIONS = ("POST", "/v1/credentials/options")
ADD = ("POST", "/v1/credentials")
LIST = ("GET", "/v1/users/{user_id}/credentials")
READ = ("GET", "/v1/users/{user_id}/credentials/{credential_id}")
DELETE = ("DELETE", "/v1/users/{user_id}/credentials/{credential_id}")

STATUS_CASES: dict[tuple[str, str, str], Callable[[Context], httpx.Response]] = {
    (*REG_OPTIONS, "200"): lambda c: c.http.post(REG_OPTIONS[1], json={"username": fresh_name()}),
    (*REG_OPTIONS, "409"): lambda c: c.http.post(
        REG_OPTIONS[1], json={"username": c.solo.username}
    ),
    (*REG_OPTIONS, "413"): lambda c: c.http.post(REG_OPTIONS[1], json=TOO_BIG),
    (*REG_OPTIONS, "422"): lambda c: c.http.post(REG_OPTIONS[1], json={"username": "Not Valid"}),
    (*REGISTER, "201"): lambda c: c.http.post(REGISTER[1], json=c.registration()),
    (*REGISTER, "400"): lambda c: c.http.post(REGISTER[1], json=c.registration("no-such")),
    (*REGISTER, "409"): _registration_race,
    (*REGISTER, "413"): lambda c: c.http.post(REGISTER[1], json=TOO_BIG),
    (*REGISTER, "422"): lambda c: c.http.post(REGISTER[1], json={"ceremony_id": "x"}),
    (*AUTH_OPTIONS, "200"): lambda c: c.http.post(AUTH_OPTIONS[1], json={"username": None}),
    (*AUTH_OPTIONS, "413"): lambda c: c.http.post(AUTH_OPTIONS[1], json=TOO_BIG),
    (*AUTH_OPTIONS, "422"): lambda c: c.http.post(AUTH_OPTIONS[1], json={"user": "x"}),
    (*AUTHENTICATE, "200"): lambda c: c.http.post(AUTHENTICATE[1], json=c.assertion()),
    (*AUTHENTICATE, "400"): lambda c: c.http.post(AUTHENTICATE[1], json=c.assertion("no-such")),
    (*AUTHENTICATE, "413"): lambda c: c.http.post(AUTHENTICATE[1], json=TOO_BIG),
    (*AUTHENTICATE, "422"): lambda c: c.http.post(AUTHENTICATE[1], json={"ceremony_id": "x"}),
    (*ME, "200"): lambda c: c.http.get(ME[1], headers=c.owner.auth),
    (*ME, "401"): lambda c: c.http.get(ME[1]),
    (*ADD_OPTIONS, "200"): lambda c: c.http.post(
        ADD_OPTIONS[1], json={"nickname": "n"}, headers=c.owner.auth
    ),
    (*ADD_OPTIONS, "401"): lambda c: c.http.post(ADD_OPTIONS[1], json={"nickname": "n"}),
    (*ADD_OPTIONS, "413"): lambda c: c.http.post(
        ADD_OPTIONS[1], json=TOO_BIG, headers=c.owner.auth
    ),
    (*ADD_OPTIONS, "422"): lambda c: c.http.post(
        ADD_OPTIONS[1], json={"nickname": ""}, headers=c.owner.auth
    ),
    (*ADD, "201"): lambda c: add_passkey(
        c.http, SoftAuthenticator(), c.owner.token, "extra", origin=DEFAULT_ORIGIN
    ),
    (*ADD, "400"): lambda c: c.http.post(
        ADD[1], json=_add_ceremony(c, "no-such"), headers=c.owner.auth
    ),
    (*ADD, "401"): lambda c: c.http.post(ADD[1], json=_add_ceremony(c, "")),
    (*ADD, "409"): _passkey_moved_in,
    (*ADD, "413"): lambda c: c.http.post(ADD[1], json=TOO_BIG, headers=c.owner.auth),
    (*ADD, "422"): lambda c: c.http.post(ADD[1], json={"ceremony_id": "x"}, headers=c.owner.auth),
    (*LIST, "200"): lambda c: c.http.get(c.owner.passkeys, headers=c.owner.auth),
    (*LIST, "400"): lambda c: c.http.get(
        c.owner.passkeys, params={"cursor": "not-a-cursor"}, headers=c.owner.auth
    ),
    (*LIST, "401"): lambda c: c.http.get(c.owner.passkeys),
    (*LIST, "404"): lambda c: c.http.get(c.other.passkeys, headers=c.owner.auth),
    (*LIST, "422"): lambda c: c.http.get(
        c.owner.passkeys, params={"limit": 0}, headers=c.owner.auth
    ),
    (*READ, "200"): lambda c: c.http.get(c.passkey, headers=c.solo.auth),
    (*READ, "401"): lambda c: c.http.get(c.passkey),
    (*READ, "404"): lambda c: c.http.get(c.passkey, headers=c.owner.auth),
    (*READ, "422"): lambda c: c.http.get(f"{c.solo.passkeys}/first", headers=c.solo.auth),
    (*DELETE, "204"): _add_then_delete,
    (*DELETE, "401"): lambda c: c.http.delete(c.passkey),
    (*DELETE, "404"): lambda c: c.http.delete(c.passkey, headers=c.owner.auth),
    (*DELETE, "409"): lambda c: c.http.delete(c.passkey, headers=c.solo.auth),
    (*DELETE, "422"): lambda c: c.http.delete(f"{c.solo.passkeys}/first", headers=c.solo.auth),
}


def test_every_declared_status_has_a_case_and_no_case_is_undeclared(http):
    schema = http.get("/openapi.json").json()
    declared = {
        (method.upper(), path, status)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        for status in operation["responses"]
    }
    assert declared == set(STATUS_CASES)


@pytest.mark.parametrize("case", sorted(STATUS_CASES), ids=" ".join)
def test_declared_status_really_occurs(case, ctx, http):
    method, path, status = case
    response = STATUS_CASES[case](ctx)
    assert response.status_code == int(status), response.text
    declared = http.get("/openapi.json").json()["paths"][path][method.lower()]["responses"]
    if int(status) >= 400:
        assert response.headers["content-type"] == PROBLEM
        assert set(declared[status]["content"]) == {PROBLEM}
        problem = response.json()
        assert problem["status"] == int(status) and problem["title"] and problem["detail"]
        if status == "422":
            assert problem["errors"] and {"loc", "msg"} <= set(problem["errors"][0])
    if status == "401":
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "WWW-Authenticate" in declared[status]["headers"]


def test_operation_ids_are_the_readable_function_names(http):
    schema = http.get("/openapi.json").json()
    ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert schema["paths"][LIST[1]]["get"]["operationId"] == "list_passkeys"
    assert schema["paths"]["/v1/me"]["get"]["operationId"] == "me"


# --- paging ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paging(http) -> tuple[Account, Account]:
    """Two accounts, passkeys added interleaved: 5 for the first, 3 for the second."""
    first, second = new_account(http), new_account(http)
    for i in range(6):
        account = second if i % 3 == 1 else first
        name = f"{'first' if account is first else 'second'} {i}"
        response = add_passkey(
            http, SoftAuthenticator(), account.token, name, origin=DEFAULT_ORIGIN
        )
        assert response.status_code == 201, response.text
    return first, second


def walk(http: httpx.Client, account: Account, **params) -> list[dict]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = http.get(account.passkeys, params=query, headers=account.auth)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"data", "pagination"}
        pages.append(page)
        cursor = page["pagination"]["next_cursor"]
        assert page["pagination"]["has_more"] == (cursor is not None)
        if cursor is None:
            return pages


def test_walking_every_page_returns_each_own_passkey_once_in_order(http, paging):
    first, second = paging
    pages = walk(http, first, limit=2)
    assert [len(p["data"]) for p in pages] == [2, 2, 1]
    names = [c["nickname"] for p in pages for c in p["data"]]
    assert names == ["First passkey", "first 0", "first 2", "first 3", "first 5"]
    ids = [c["id"] for p in pages for c in p["data"]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    theirs = [c["nickname"] for p in walk(http, second, limit=1) for c in p["data"]]
    assert theirs == ["First passkey", "second 1", "second 4"]  # none of the first's


def test_default_page_holds_them_all(http, paging):
    first, _ = paging
    page = http.get(first.passkeys, headers=first.auth).json()
    assert len(page["data"]) == 5
    assert page["pagination"] == {"next_cursor": None, "has_more": False}


@pytest.mark.parametrize("limit", [0, -1, 101, "ten"])
def test_limit_out_of_bounds_is_a_422_problem(http, paging, limit):
    first, _ = paging
    response = http.get(first.passkeys, params={"limit": limit}, headers=first.auth)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["loc"] == ["query", "limit"]


def test_limit_at_the_maximum_is_accepted(http, paging):
    first, _ = paging
    response = http.get(first.passkeys, params={"limit": 100}, headers=first.auth)
    assert response.status_code == 200 and len(response.json()["data"]) == 5


def test_bad_cursors_are_400_problems(http, paging):
    first, second = paging
    cursor = http.get(first.passkeys, params={"limit": 2}, headers=first.auth).json()["pagination"][
        "next_cursor"
    ]
    body, signature = cursor.split(".")
    edited = ("B" if body[0] != "B" else "C") + body[1:] + "." + signature
    attempts = {
        "garbage": ("not-a-cursor", first),
        "edited": (edited, first),
        "non-ascii": ("é.é", first),
        "another user's list": (cursor, second),
    }
    for name, (value, account) in attempts.items():
        response = http.get(account.passkeys, params={"cursor": value}, headers=account.auth)
        assert response.status_code == 400, name
        assert response.headers["content-type"] == PROBLEM, name
        assert "cursor" in response.json()["detail"], name
    assert (
        http.get(first.passkeys, params={"cursor": cursor}, headers=first.auth).status_code == 200
    )
