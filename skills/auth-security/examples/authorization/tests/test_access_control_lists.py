"""GET /v1/folders and GET /v1/members page exactly like GET /v1/documents: the course's
envelope, a bounded ``limit``, an opaque keyset cursor (a bad one is a 422 problem), and
rows chosen in SQL, so pages are full and complete and never show another tenant's rows."""

from __future__ import annotations

import base64
import json
import random
from functools import partial

import pytest
from access_control.api import Services
from access_control.documents import list_org_members, list_visible_folders
from access_control.models import Folder, User
from access_control.pagination import Page
from access_control.rebac import ObjectRef, RelationStore
from sqlalchemy import event, select
from sqlalchemy.orm import Session

LISTS = ("/v1/documents", "/v1/folders", "/v1/members")
INJECTION_PAYLOADS = ["' OR '1'='1", '"; DROP TABLE folders;--', "%", "_", "') OR 1=1 --"]


def user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def grow_folders_and_members(session: Session, store: RelationStore) -> None:
    """More folders (repeated names, nested, some shared) and more users in both tenants."""
    rng = random.Random(11)
    for org_id, prefix in ((1, "acme"), (2, "globex")):
        for n in range(5):
            session.add(
                User(
                    username=f"{prefix}-extra-{n}",
                    password_hash="not a hash: these users never log in",
                    org_id=org_id,
                    department="engineering",
                    clearance=0,
                )
            )
    session.flush()
    users = session.scalars(select(User).order_by(User.id)).all()
    for owner in users:
        own_org = [f for f in session.scalars(select(Folder)) if f.org_id == owner.org_id]
        for n in range(3):
            parent = rng.choice([None, *own_org])
            # Repeated names on purpose: the keyset must break ties on id.
            folder = Folder(
                org_id=owner.org_id,
                name=f"Projects {n % 2}",
                parent_id=parent.id if parent else None,
            )
            session.add(folder)
            session.flush()
            parent_ref = f"folder:{parent.id}" if parent else f"org:{owner.org_id}"
            store.write(
                f"folder:{folder.id}#parent@{parent_ref}",
                f"folder:{folder.id}#owner@user:{owner.id}",
            )
            colleagues = [u for u in users if u.org_id == owner.org_id and u.id != owner.id]
            if n == 1 and colleagues:
                store.write(f"folder:{folder.id}#viewer@user:{rng.choice(colleagues).id}")
    session.commit()


def walk(list_page, limit: int) -> tuple[list[list], int]:
    """Every page of a list function, following next_cursor: (pages, total)."""
    pages, cursor = [], None
    while True:
        page: Page = list_page(limit=limit, cursor=cursor)
        pages.append(page.items)
        assert page.has_more is (page.next_cursor is not None)
        if page.next_cursor is None:
            return pages, page.total
        cursor = page.next_cursor


def assert_full_complete_and_unique(pages: list[list], total: int, limit: int) -> None:
    # Every page but the last is full: LIMIT counted visible rows only.
    assert all(len(page) == limit for page in pages[:-1])
    assert len(pages[-1]) <= limit
    ids = [row.id for page in pages for row in page]
    assert len(ids) == len(set(ids)) == total


def test_folder_pages_are_full_complete_ordered_and_tenant_scoped(
    services: Services, session: Session
) -> None:
    store = services.relation_store(session)
    grow_folders_and_members(session, store)
    for viewer in session.scalars(select(User).order_by(User.id)).all():
        expected = {
            folder.id
            for folder in session.scalars(select(Folder).where(Folder.org_id == viewer.org_id))
            if store.check(ObjectRef("folder", folder.id), "viewer", viewer.id)
        }
        pages, total = walk(partial(list_visible_folders, session, store, viewer), limit=3)
        assert_full_complete_and_unique(pages, total, 3)
        rows = [folder for page in pages for folder in page]
        assert {folder.id for folder in rows} == expected, viewer.username
        assert all(folder.org_id == viewer.org_id for folder in rows)
        assert rows == sorted(rows, key=lambda folder: (folder.name, folder.id))


def test_member_pages_are_full_complete_ordered_and_tenant_scoped(
    services: Services, session: Session
) -> None:
    grow_folders_and_members(session, services.relation_store(session))
    for viewer in session.scalars(select(User).order_by(User.id)).all():
        colleagues = session.scalars(select(User.id).where(User.org_id == viewer.org_id)).all()
        pages, total = walk(partial(list_org_members, session, viewer), limit=2)
        assert_full_complete_and_unique(pages, total, 2)
        rows = [member for page in pages for member in page]
        assert {member.id for member in rows} == set(colleagues)
        assert [m.username for m in rows] == sorted(m.username for m in rows)


def test_a_stray_cross_tenant_folder_tuple_still_leaks_nothing(
    services: Services, session: Session
) -> None:
    store = services.relation_store(session)
    alice = user(session, "alice")
    roadmap = session.scalars(select(Folder).where(Folder.name == "Roadmap")).one()  # globex
    store.write(f"folder:{roadmap.id}#viewer@user:{alice.id}")  # a bug elsewhere wrote it
    session.commit()
    assert store.check(ObjectRef("folder", roadmap.id), "viewer", alice.id)
    page = list_visible_folders(session, store, alice, limit=100, cursor=None)
    assert [folder.name for folder in page.items] == ["Engineering", "Handbook", "Specs"]
    assert page.total == 3  # the tenant predicate keeps the Roadmap out


def test_the_folder_and_member_filters_run_in_sql(services: Services, session: Session) -> None:
    statements: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    carol = user(session, "carol")
    event.listen(services.engine, "before_cursor_execute", capture)
    try:
        list_visible_folders(session, services.relation_store(session), carol, limit=2, cursor=None)
        list_org_members(session, carol, limit=2, cursor=None)
    finally:
        event.remove(services.engine, "before_cursor_execute", capture)
    folder_page = next(s for s in statements if "LIMIT" in s and "FROM folders" in s)
    assert "WITH RECURSIVE" in folder_page
    assert "folders.org_id = ?" in folder_page
    assert "folders.id IN (SELECT" in folder_page
    member_page = next(s for s in statements if "LIMIT" in s and "FROM users" in s)
    assert "users.org_id = ?" in member_page


# -- over HTTP ------------------------------------------------------------------------------


def walk_api(call, path: str, params: dict[str, object]) -> tuple[list[list[dict]], list[dict]]:
    """Every page of a list, following pagination.next_cursor: (pages, paginations)."""
    pages, paginations, cursor = [], [], None
    while True:
        response = call("GET", path, params=params | ({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"data", "pagination"}
        assert set(body["pagination"]) == {"next_cursor", "has_more", "total"}
        pages.append(body["data"])
        paginations.append(body["pagination"])
        cursor = body["pagination"]["next_cursor"]
        if cursor is None:
            return pages, paginations


def test_members_page_in_the_course_envelope(served) -> None:
    pages, paginations = walk_api(served.as_user("carol"), "/v1/members", {"limit": 1})
    assert [[m["username"] for m in page] for page in pages] == [
        ["alice"],
        ["carol"],
        ["dave"],
        ["erin"],
    ]
    assert [p["has_more"] for p in paginations] == [True, True, True, False]
    assert {p["total"] for p in paginations} == {4}
    assert pages[1] == [
        {"username": "carol", "roles": ["admin", "guest", "member"], "department": "engineering"}
    ]


def test_folders_page_in_the_course_envelope(served) -> None:
    pages, paginations = walk_api(served.as_user("erin"), "/v1/folders", {"limit": 3})
    assert [[f["name"] for f in page] for page in pages] == [
        ["Engineering", "Handbook", "Sales"],
        ["Specs"],
    ]
    assert [p["has_more"] for p in paginations] == [True, False]
    assert {p["total"] for p in paginations} == {4}
    assert set(pages[0][0]) == {"id", "name", "parent_id"}


@pytest.mark.parametrize("path", LISTS)
def test_limit_is_bounded_on_every_list(served, path: str) -> None:
    carol = served.as_user("carol")  # an admin: may call all three
    for limit in (0, -1, 101, 10**9, "all"):
        response = carol("GET", path, params={"limit": limit})
        assert response.status_code == 422, (limit, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["loc"] == ["query", "limit"]
    for limit in (1, 100):
        assert carol("GET", path, params={"limit": limit}).status_code == 200


def forged(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_bad_cursors_get_a_422_problem_on_every_list(served) -> None:
    carol = served.as_user("carol")
    issued = {
        path: carol("GET", path, params={"limit": 1}).json()["pagination"]["next_cursor"]
        for path in LISTS
    }
    assert all(issued.values())
    folder_cursor = issued["/v1/folders"]
    folder_position = json.loads(
        base64.urlsafe_b64decode(folder_cursor + "=" * (-len(folder_cursor) % 4))
    )
    always_bad = [
        "not a cursor!",
        "%%%",
        forged([1, 2]),
        forged({"sort": "folders:name"}),
        forged(folder_position | {"id": True}),  # a bool is not an id
        forged(folder_position | {"id": 2**64}),  # beyond SQLite's INTEGER: no 500
        forged(folder_position | {"key": 7}),
        # A timestamp without a zone would reach the column's converter and fail there.
        forged({"sort": "documents:-created_at", "key": "2026-03-04T10:00:00", "id": 1}),
        *INJECTION_PAYLOADS,
    ]
    for path in LISTS:
        # A real cursor from another list continues nothing here.
        others = [cursor for other, cursor in issued.items() if other != path]
        for cursor in always_bad + others:
            response = carol("GET", path, params={"cursor": cursor})
            assert response.status_code == 422, (path, cursor, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["errors"][0]["loc"] == ["query", "cursor"]
            assert {"type", "title", "status", "detail", "instance"} <= set(problem)
            assert "Traceback" not in response.text


def test_other_tenants_never_appear_in_folders_or_members(served) -> None:
    carol, frank, bob = (served.as_user(name) for name in ("carol", "frank", "bob"))
    acme_members, _ = walk_api(carol, "/v1/members", {"limit": 2})
    globex_members, _ = walk_api(frank, "/v1/members", {"limit": 2})
    assert [m["username"] for page in globex_members for m in page] == ["bob", "frank"]
    assert {m["username"] for page in acme_members for m in page}.isdisjoint({"bob", "frank"})
    bob_folders, _ = walk_api(bob, "/v1/folders", {"limit": 1})
    assert [f["name"] for page in bob_folders for f in page] == ["Roadmap"]
    carol_folders, _ = walk_api(carol, "/v1/folders", {"limit": 1})
    assert "Roadmap" not in {f["name"] for page in carol_folders for f in page}
    # A hand-made cursor positioned before every row still pages inside the tenant only.
    start = forged({"sort": "members:username", "key": "", "id": 1})
    response = frank("GET", "/v1/members", params={"cursor": start, "limit": 100})
    assert [m["username"] for m in response.json()["data"]] == ["bob", "frank"]
    assert response.json()["pagination"]["total"] == 2
    start = forged({"sort": "folders:name", "key": "", "id": 1})
    response = bob("GET", "/v1/folders", params={"cursor": start, "limit": 100})
    assert [f["name"] for f in response.json()["data"]] == ["Roadmap"]


def test_roles_still_gate_the_lists(served) -> None:
    """Paging does not open the member list (RBAC: admins only) to anyone else."""
    usernames = ("alice", "carol", "dave", "erin", "bob", "frank")
    for name in ("alice", "dave", "erin", "bob"):
        response = served.as_user(name)("GET", "/v1/members", params={"limit": 1})
        assert response.status_code == 403
        assert response.json()["detail"] == "Only organization admins can list members."
        assert not any(username in response.text for username in usernames)
