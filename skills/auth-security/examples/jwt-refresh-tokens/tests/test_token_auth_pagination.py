"""Lists page with `?limit=&cursor=` and answer `{data, pagination: {next_cursor, has_more}}`.

Keyset on id (notes) and on (created_at, id) (sessions); the cursor is signed and bound to
the listing that produced it, so editing, forging or replaying it elsewhere is a 400.
"""

from __future__ import annotations

import base64
import json

import pytest


@pytest.fixture
def alice(client) -> dict[str, str]:
    client.register("alice")
    return client.bearer(client.tokens_for("alice")["access_token"])


@pytest.fixture
def bob(client) -> dict[str, str]:
    client.register("bob")
    return client.bearer(client.tokens_for("bob")["access_token"])


def add_notes(client, auth, count: int, prefix: str) -> list[int]:
    ids = []
    for n in range(count):
        created = client.post("/notes", json={"title": f"{prefix} {n}"}, headers=auth)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    return ids


def walk(client, path: str, auth, **params) -> list[dict]:
    """Every page of a listing, following next_cursor until has_more is false."""
    pages = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query, headers=auth)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"data", "pagination"}
        pages.append(page)
        cursor = page["pagination"]["next_cursor"]
        assert page["pagination"]["has_more"] is (cursor is not None)
        if cursor is None:
            return pages
        assert len(pages) < 100, "the cursor does not advance"


def split(cursor: str) -> tuple[dict, str]:
    body, signature = cursor.split(".")
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))), signature


def join(payload: dict, signature: str) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body.rstrip(b'=').decode()}.{signature}"


def test_walking_every_page_returns_each_note_once_and_never_anothers(client, alice, bob):
    mine, theirs = [], []
    for _ in range(4):  # interleaved, so bob's ids sit between alice's
        mine += add_notes(client, alice, 6, "alice")
        theirs += add_notes(client, bob, 2, "bob")

    pages = walk(client, "/notes", alice, limit=5)

    assert [len(page["data"]) for page in pages] == [5, 5, 5, 5, 4]
    seen = [note["id"] for page in pages for note in page["data"]]
    assert seen == sorted(mine)  # each once, in id order
    assert not set(seen) & set(theirs)
    assert all(note["title"].startswith("alice") for page in pages for note in page["data"])
    assert pages[-1]["pagination"] == {"next_cursor": None, "has_more": False}


def test_the_default_page_is_20_and_an_empty_list_has_no_next_page(client, alice, bob):
    add_notes(client, alice, 21, "alice")
    first = client.get("/notes", headers=alice).json()
    assert len(first["data"]) == 20 and first["pagination"]["has_more"] is True

    empty = client.get("/notes", headers=bob).json()
    assert empty == {"data": [], "pagination": {"next_cursor": None, "has_more": False}}


def test_an_exact_multiple_of_limit_ends_without_an_empty_page(client, alice):
    add_notes(client, alice, 6, "alice")
    pages = walk(client, "/notes", alice, limit=3)
    assert [len(page["data"]) for page in pages] == [3, 3]


def test_pages_do_not_shift_when_notes_are_added_or_deleted_meanwhile(client, alice):
    ids = add_notes(client, alice, 6, "alice")
    first = client.get("/notes", params={"limit": 3}, headers=alice).json()
    assert [note["id"] for note in first["data"]] == ids[:3]

    # An offset page 2 would now skip ids[3]; the keyset continues after ids[2].
    assert client.delete(f"/notes/{ids[0]}", headers=alice).status_code == 204
    added = add_notes(client, alice, 1, "late")
    cursor = first["pagination"]["next_cursor"]
    second = client.get("/notes", params={"limit": 3, "cursor": cursor}, headers=alice).json()
    assert [note["id"] for note in second["data"]] == ids[3:6]
    third_cursor = second["pagination"]["next_cursor"]
    third = client.get("/notes", params={"limit": 3, "cursor": third_cursor}, headers=alice)
    assert [note["id"] for note in third.json()["data"]] == added


def test_a_filter_stays_applied_on_every_page(client, alice):
    add_notes(client, alice, 5, "keep")
    add_notes(client, alice, 5, "drop")
    pages = walk(client, "/notes", alice, limit=2, contains="keep")
    titles = [note["title"] for page in pages for note in page["data"]]
    assert titles == [f"keep {n}" for n in range(5)]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "1000000", "ten", "2.5"])
def test_limit_outside_1_to_100_is_422(client, alice, limit):
    response = client.get("/notes", params={"limit": limit}, headers=alice)
    assert client.problem(response, 422)["errors"][0]["loc"] == ["query", "limit"]
    response = client.get("/sessions", params={"limit": limit}, headers=alice)
    assert client.problem(response, 422)["errors"][0]["loc"] == ["query", "limit"]


def test_limit_bounds_themselves_are_accepted(client, alice):
    add_notes(client, alice, 2, "alice")
    assert len(client.get("/notes", params={"limit": 1}, headers=alice).json()["data"]) == 1
    assert len(client.get("/notes", params={"limit": 100}, headers=alice).json()["data"]) == 2


def test_an_overlong_cursor_is_422(client, alice):
    response = client.get("/notes", params={"cursor": "a" * 513}, headers=alice)
    assert client.problem(response, 422)["errors"][0]["loc"] == ["query", "cursor"]


# "" too: an empty ?cursor= is still a cursor, and not one this server issued.
@pytest.mark.parametrize("cursor", ["", "garbage", "a.b.c", "!!!.???", "é.é", "e30.AAAA"])
def test_made_up_cursors_are_400(client, alice, cursor):
    add_notes(client, alice, 3, "alice")
    response = client.get("/notes", params={"cursor": cursor}, headers=alice)
    assert "cursor" in client.problem(response, 400)["detail"]


def test_an_edited_or_forged_cursor_is_400(client, alice):
    add_notes(client, alice, 4, "alice")
    cursor = client.get("/notes", params={"limit": 2}, headers=alice).json()["pagination"][
        "next_cursor"
    ]
    payload, signature = split(cursor)
    rewound = join({**payload, "a": [0]}, signature)  # back to the start, old signature
    client.problem(client.get("/notes", params={"cursor": rewound}, headers=alice), 400)
    unsigned = join(payload, "")
    client.problem(client.get("/notes", params={"cursor": unsigned}, headers=alice), 400)
    # The untouched cursor still works: the refusals above were about the edits.
    assert client.get("/notes", params={"cursor": cursor}, headers=alice).status_code == 200


def test_a_cursor_only_continues_the_listing_it_came_from(client, alice, bob):
    add_notes(client, alice, 4, "alice a")
    add_notes(client, bob, 4, "bob")
    cursor = client.get("/notes", params={"limit": 2}, headers=alice).json()["pagination"][
        "next_cursor"
    ]

    replayed_by_bob = client.get("/notes", params={"cursor": cursor}, headers=bob)
    assert "alice" not in client.problem(replayed_by_bob, 400)["detail"]
    other_filter = client.get("/notes", params={"cursor": cursor, "contains": "a"}, headers=alice)
    client.problem(other_filter, 400)
    on_sessions = client.get("/sessions", params={"cursor": cursor}, headers=alice)
    client.problem(on_sessions, 400)


def test_cursors_from_before_a_restart_are_400(client, alice, serve, build_app, settings):
    add_notes(client, alice, 3, "alice")
    cursor = client.get("/notes", params={"limit": 1}, headers=alice).json()["pagination"][
        "next_cursor"
    ]
    restarted = serve(build_app(settings))  # same database, new process keys
    auth = restarted.bearer(restarted.tokens_for("alice")["access_token"])
    restarted.problem(restarted.get("/notes", params={"cursor": cursor}, headers=auth), 400)
    assert len(restarted.get("/notes", headers=auth).json()["data"]) == 3


def test_sessions_page_oldest_first_with_ties_broken_by_id(client, clock):
    client.register("alice")
    client.register("bob")
    logins = []
    for n in range(7):
        if n % 2:  # pairs of logins in the same second: created_at ties
            clock.advance(1)
        logins.append(client.tokens_for("alice"))
        client.tokens_for("bob")
    auth = client.bearer(logins[-1]["access_token"])

    pages = walk(client, "/sessions", auth, limit=2)

    assert [len(page["data"]) for page in pages] == [2, 2, 2, 1]
    sessions = [s for page in pages for s in page["data"]]
    keys = [(s["created_at"], s["id"]) for s in sessions]
    assert keys == sorted(keys) and len(set(keys)) == 7
    assert [s["current"] for s in sessions].count(True) == 1
    everything = client.get("/sessions", params={"limit": 100}, headers=auth).json()["data"]
    assert sessions == everything  # the same sessions as one big page: none of bob's
