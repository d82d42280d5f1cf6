"""The API contract over real HTTP: 401 vs 403 vs 404, 422, 413, problem details."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from access_control.models import Document, User
from joserfc import jwt
from joserfc.jwk import OctKey
from sqlalchemy import select, text

PROBLEM = "application/problem+json"


def b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def decode_segment(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def document_id(served, title: str) -> int:
    with served.services.session_factory() as session:
        return session.scalars(select(Document.id).where(Document.title == title)).one()


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


def test_openapi_declares_bearer_security_on_every_protected_operation(served) -> None:
    schema = served.client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= next(iter(schemes.values())).items()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            protected = path != "/v1/auth/token"
            assert bool(operation.get("security")) is protected, (method, path)


def test_operation_ids_are_the_function_names(served) -> None:
    """Readable, stable, unique: SDK generators name their methods after them."""
    schema = served.client.get("/openapi.json").json()
    operation_ids = [
        operation["operationId"]
        for operations in schema["paths"].values()
        for operation in operations.values()
    ]
    assert len(operation_ids) == len(set(operation_ids))
    assert set(operation_ids) == {
        "login",
        "read_current_user",
        "list_members",
        "list_documents",
        "create_document",
        "read_document",
        "update_document",
        "read_document_permissions",
        "submit_document",
        "publish_document",
        "share_document",
        "list_folders",
        "create_folder",
    }


def returns_a_list(schema: dict, operation: dict) -> bool:
    """A 200 body that is an array, or an envelope with a `data` array."""
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    return (
        body.get("type") == "array"
        or body.get("properties", {}).get("data", {}).get("type") == "array"
    )


def test_every_list_declares_bounded_cursor_pagination(served) -> None:
    schema = served.client.get("/openapi.json").json()
    lists = {
        path: operations["get"]
        for path, operations in schema["paths"].items()
        if "get" in operations and returns_a_list(schema, operations["get"])
    }
    assert set(lists) == {"/v1/documents", "/v1/folders", "/v1/members"}
    for path, operation in lists.items():
        query = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
        assert {"limit", "cursor"} <= set(query), path
        bounds = {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
        assert bounds.items() <= query["limit"]["schema"].items(), path
        assert query["cursor"]["schema"]["anyOf"][0]["maxLength"] == 512, path


def test_login_issues_a_short_lived_hs256_token(served, settings) -> None:
    token = served.token("alice")
    header, claims = decode_segment(token.split(".")[0]), decode_segment(token.split(".")[1])
    assert header["alg"] == "HS256"
    assert claims["exp"] - claims["iat"] == settings.token_lifetime.total_seconds() == 300
    assert served.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).json()[
        "roles"
    ] == ["guest", "member"]


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice", "password": "wrong"},
        {"username": "nobody", "password": "demo-password-nobody"},
    ],
)
def test_bad_credentials_get_the_same_401(served, body: dict) -> None:
    problem = assert_problem(served.client.post("/v1/auth/token", json=body), 401)
    assert problem["detail"] == "Unknown username or wrong password."


def forged_tokens(served, contract) -> dict[str, str]:
    real = served.token("alice")
    header_segment, claims_segment, _ = real.split(".")
    header, claims = decode_segment(header_segment), decode_segment(claims_segment)
    with served.services.session_factory() as session:
        bob_id = session.scalars(select(User.id).where(User.username == "bob")).one()
    other_key = OctKey.generate_key(256)
    return {
        "malformed": "not-a-jwt",
        "alg none": f"{b64url(header | {'alg': 'none'})}.{claims_segment}.",
        "other key": jwt.encode(header, claims, other_key, algorithms=["HS256"]),
        "expired": contract.expired_access_token(served.app, "alice"),
        # alice's signature on claims edited to say bob: the signature no longer matches
        "tampered": ".".join(
            [header_segment, b64url(claims | {"sub": str(bob_id)}), real.split(".")[2]]
        ),
    }


def test_every_bad_token_gets_401_with_www_authenticate(served, contract) -> None:
    tokens = forged_tokens(served, contract)
    attempts = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    attempts["no token"] = {}
    attempts["basic scheme"] = {"Authorization": "Basic YWxpY2U6eA=="}
    for name, headers in attempts.items():
        for method, path in (("GET", "/v1/documents"), ("POST", "/v1/documents")):
            response = served.client.request(method, path, headers=headers, json={"title": "x"})
            assert_problem(response, 401)
            assert response.headers["www-authenticate"].startswith("Bearer"), name


@pytest.mark.parametrize("claim", ["iss", "aud"])
def test_right_key_but_wrong_issuer_or_audience_is_refused(served, claim: str) -> None:
    services = served.services
    now = services.settings.clock()
    claims = {
        "iss": services.settings.token_issuer,
        "aud": services.settings.token_audience,
        "sub": "1",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    } | {claim: "someone-else"}
    token = jwt.encode({"alg": "HS256"}, claims, services.tokens.key, algorithms=["HS256"])
    response = served.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401)


def test_tokens_expire_with_the_clock(served, clock) -> None:
    call = served.as_user("alice")
    assert call("GET", "/v1/me").status_code == 200
    clock.now += timedelta(minutes=5, seconds=1)
    assert_problem(call("GET", "/v1/me"), 401)


def test_another_tenants_document_is_404_exactly_like_a_missing_one(served, contract) -> None:
    bob_path = contract.create_owned_object(served.client, served.token("bob"), "BOB-LABEL")
    alice = served.as_user("alice")
    hidden = assert_problem(alice("GET", bob_path), 404)
    missing = assert_problem(alice("GET", "/v1/documents/999999"), 404)
    assert {k: v for k, v in hidden.items() if k != "instance"} == {
        k: v for k, v in missing.items() if k != "instance"
    }
    for method, suffix, body in (
        ("PATCH", "", {"title": "mine now"}),
        ("GET", "/permissions", None),
        ("POST", "/publish", None),
        ("POST", "/shares", {"username": "alice", "relation": "editor"}),
    ):
        response = alice(method, bob_path + suffix, json=body)
        assert_problem(response, 404)
        assert "BOB-LABEL" not in response.text
    assert served.as_user("bob")("GET", bob_path).json()["title"] == "BOB-LABEL"


def test_same_tenant_but_not_shared_is_404_too(served) -> None:
    pipeline = document_id(served, "Q3 pipeline")  # erin's, shared with dave only
    assert_problem(served.as_user("alice")("GET", f"/v1/documents/{pipeline}"), 404)
    assert served.as_user("dave")("GET", f"/v1/documents/{pipeline}").status_code == 200


def test_403_when_you_can_see_it_but_not_do_it(served) -> None:
    design = document_id(served, "Engine design")
    erin = served.as_user("erin")  # views the Engineering folder, so its documents
    assert erin("GET", f"/v1/documents/{design}").status_code == 200
    problem = assert_problem(erin("PATCH", f"/v1/documents/{design}", json={"title": "x"}), 403)
    assert problem["detail"] == "You can view this document but not edit it."
    assert_problem(
        erin(
            "POST",
            f"/v1/documents/{design}/shares",
            json={"username": "dave", "relation": "viewer"},
        ),
        403,
    )
    # RBAC: a guest cannot create at all, a member cannot list members.
    assert_problem(served.as_user("dave")("POST", "/v1/documents", json={"title": "x"}), 403)
    assert_problem(served.as_user("alice")("GET", "/v1/members"), 403)
    members = served.as_user("carol")("GET", "/v1/members").json()["data"]
    assert [m["username"] for m in members] == ["alice", "carol", "dave", "erin"]


def test_folders_gate_document_creation(served) -> None:
    erin_folders = served.as_user("erin")("GET", "/v1/folders").json()["data"]
    folders = {f["name"]: f["id"] for f in erin_folders}
    assert set(folders) == {"Engineering", "Specs", "Handbook", "Sales"}
    alice = served.as_user("alice")
    # alice cannot see Sales: 404; erin sees Engineering but only as a viewer: 403.
    assert_problem(
        alice("POST", "/v1/documents", json={"title": "x", "folder_id": folders["Sales"]}), 404
    )
    erin = served.as_user("erin")
    assert_problem(
        erin("POST", "/v1/documents", json={"title": "x", "folder_id": folders["Engineering"]}), 403
    )
    created = alice(
        "POST", "/v1/documents", json={"title": "Spec 2", "folder_id": folders["Specs"]}
    )
    assert created.status_code == 201
    assert created.headers["location"] == f"/v1/documents/{created.json()['id']}"
    # erin inherits viewer on it from Engineering, two levels up.
    assert erin("GET", created.headers["location"]).status_code == 200
    sub = alice("POST", "/v1/folders", json={"name": "Drafts", "parent_id": folders["Specs"]})
    assert sub.status_code == 201 and sub.json()["parent_id"] == folders["Specs"]
    assert "Drafts" in {f["name"] for f in erin("GET", "/v1/folders").json()["data"]}


def test_sharing_writes_a_tuple_and_grants_access(served) -> None:
    design = document_id(served, "Engine design")
    alice, dave = served.as_user("alice"), served.as_user("dave")
    assert_problem(dave("GET", f"/v1/documents/{design}"), 404)
    shared = alice(
        "POST", f"/v1/documents/{design}/shares", json={"username": "dave", "relation": "viewer"}
    )
    assert shared.status_code == 201
    assert shared.json()["relation_tuple"].startswith(f"document:{design}#viewer@user:")
    assert dave("GET", f"/v1/documents/{design}").status_code == 200
    assert_problem(dave("PATCH", f"/v1/documents/{design}", json={"body": "x"}), 403)
    # bob exists, but in another organization: to alice he does not.
    cross = alice(
        "POST", f"/v1/documents/{design}/shares", json={"username": "bob", "relation": "viewer"}
    )
    assert assert_problem(cross, 422)["errors"][0]["loc"] == ["body", "username"]


def test_abac_workflow_through_the_api(served, clock) -> None:
    design = document_id(served, "Engine design")  # alice's draft, engineering, sensitivity 1
    alice, carol, erin = (served.as_user(n) for n in ("alice", "carol", "erin"))
    assert_problem(carol("POST", f"/v1/documents/{design}/submit"), 403)  # not the author
    assert alice("POST", f"/v1/documents/{design}/submit").json()["status"] == "review"
    assert_problem(alice("POST", f"/v1/documents/{design}/publish"), 403)  # four eyes
    assert_problem(erin("POST", f"/v1/documents/{design}/publish"), 403)  # sales, not engineering
    assert carol("GET", f"/v1/documents/{design}/permissions").json() == {
        "relations": ["editor", "viewer"],
        "actions": {"edit": True, "share": False, "submit": False, "publish": True},
    }
    clock.now = clock.now.replace(hour=19)  # after hours; tokens issued now are fresh
    carol_late = served.as_user("carol")
    problem = assert_problem(carol_late("POST", f"/v1/documents/{design}/publish"), 403)
    assert "08:00-18:00" in problem["detail"]
    clock.now = clock.now.replace(hour=9)
    carol_morning = served.as_user("carol")
    assert carol_morning("POST", f"/v1/documents/{design}/publish").json()["status"] == "published"


@pytest.mark.parametrize("field", ["title", "body"])
def test_a_null_title_or_body_is_422_and_changes_nothing(served, field) -> None:
    """Neither column can be NULL: dropping the null would answer 200 for a change not made."""
    design = document_id(served, "Engine design")
    alice = served.as_user("alice")
    before = alice("GET", f"/v1/documents/{design}").json()
    changes = {"title": "Renamed", "body": "new text", field: None}
    problem = assert_problem(alice("PATCH", f"/v1/documents/{design}", json=changes), 422)
    assert [error["loc"] for error in problem["errors"]] == [["body", field]]
    assert alice("GET", f"/v1/documents/{design}").json() == before


def test_patch_changes_only_the_fields_sent(served) -> None:
    design = document_id(served, "Engine design")
    alice = served.as_user("alice")
    before = alice("GET", f"/v1/documents/{design}").json()
    renamed = alice("PATCH", f"/v1/documents/{design}", json={"title": "Engine v2"}).json()
    assert renamed == {**before, "title": "Engine v2"}
    emptied = alice("PATCH", f"/v1/documents/{design}", json={"body": ""}).json()
    assert emptied == {**before, "title": "Engine v2", "body": ""}


def test_unknown_fields_get_422_and_the_tenant_cannot_be_chosen(served) -> None:
    alice = served.as_user("alice")
    for body in ({"title": "x", "org_id": 2}, {"title": "x", "owner_id": 5}):
        problem = assert_problem(alice("POST", "/v1/documents", json=body), 422)
        assert problem["errors"][0]["loc"][0] == "body"
        assert problem["errors"][0]["type"] == "extra_forbidden"
    assert_problem(alice("PATCH", "/v1/documents/1", json={"status": "published"}), 422)
    assert_problem(
        served.client.post("/v1/auth/token", json={"username": "a", "password": "b", "x": 1}), 422
    )


def test_bodies_over_the_limit_get_413(served, contract) -> None:
    alice = served.as_user("alice")
    over = contract.MAX_BODY_BYTES + 1
    declared = alice("POST", "/v1/documents", content=b"{" + b" " * over + b"}")
    assert_problem(declared, 413)

    def chunks():  # no Content-Length: chunked transfer encoding, counted as it streams
        for _ in range(over // 1000 + 1):
            yield b" " * 1000

    streamed = alice(
        "POST", "/v1/documents", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(streamed, 413)
    # The limit applies before authentication, too.
    assert_problem(served.client.post("/v1/documents", content=b"x" * over), 413)
    assert alice("POST", "/v1/documents", json=contract.valid_write_body()).status_code == 201


def test_every_error_is_a_problem(served) -> None:
    alice = served.as_user("alice")
    assert_problem(served.client.get("/no/such/route"), 404)
    wrong_method = assert_problem(served.client.delete("/v1/documents"), 405)
    assert wrong_method["title"] == "Method Not Allowed"
    assert_problem(alice("GET", "/v1/documents/1 OR 1=1"), 422)
    assert_problem(alice("GET", "/v1/documents", params={"limit": 1000}), 422)
    with served.services.engine.begin() as connection:
        connection.execute(text("DROP TABLE relation_tuples"))  # break the database
    broken = assert_problem(alice("GET", "/v1/documents"), 500)
    assert "relation_tuples" not in broken["detail"]  # no internals in the answer


@pytest.mark.parametrize("payload", ["' OR '1'='1", '"; DROP TABLE x;--', "%", "_"])
def test_injection_in_body_fields_is_stored_as_text(served, payload: str) -> None:
    alice = served.as_user("alice")
    created = alice("POST", "/v1/documents", json={"title": payload, "body": payload})
    assert created.status_code == 201
    assert alice("GET", created.headers["location"]).json()["title"] == payload
    share = alice(
        "POST",
        created.headers["location"] + "/shares",
        json={"username": payload, "relation": "viewer"},
    )
    assert_problem(share, 422)
    login = served.client.post("/v1/auth/token", json={"username": payload, "password": payload})
    assert_problem(login, 401)
