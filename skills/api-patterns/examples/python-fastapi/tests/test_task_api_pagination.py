"""Cursor and offset pagination, whitelisted sorting, filtering and LIKE escaping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from task_api.models import Task

pytestmark = pytest.mark.anyio


async def walk(client, headers, **params) -> list[list[int]]:
    """Follow next_cursor to the end; return the ids of each page."""
    pages: list[list[int]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/tasks", params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([task["id"] for task in body["data"]])
        assert body["pagination"]["has_more"] is (body["pagination"]["next_cursor"] is not None)
        assert "total" not in body["pagination"]  # offset-only fields are absent
        cursor = body["pagination"]["next_cursor"]
        if cursor is None:
            return pages


async def test_cursor_pages_cover_every_row_once(client, alice, make_task) -> None:
    ids = [(await make_task(title=f"t{i}"))["id"] for i in range(7)]
    pages = await walk(client, alice, limit=3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [i for page in pages for i in page] == sorted(ids, reverse=True)  # -created_at


async def test_cursor_is_stable_under_inserts(client, alice, make_task) -> None:
    originals = [(await make_task(title=f"old {i}"))["id"] for i in range(6)]
    first = await client.get("/v1/tasks", params={"limit": 2}, headers=alice)
    seen = [task["id"] for task in first.json()["data"]]
    cursor = first.json()["pagination"]["next_cursor"]
    # Rows arrive while the client pages: with offsets they would shift every later page.
    for i in range(3):
        await make_task(title=f"new {i}")
    while cursor:
        page = await client.get("/v1/tasks", params={"limit": 2, "cursor": cursor}, headers=alice)
        seen += [task["id"] for task in page.json()["data"]]
        cursor = page.json()["pagination"]["next_cursor"]
    assert seen == sorted(originals, reverse=True)  # no duplicates, no gaps


async def test_equal_sort_values_are_ordered_by_id(app, client, alice, make_task) -> None:
    ids = [(await make_task(title="same"))["id"] for _ in range(5)]
    with app.state.services.sessions() as session:
        session.execute(update(Task).values(created_at=datetime(2026, 1, 1, tzinfo=UTC)))
        session.commit()
    pages = await walk(client, alice, limit=2, sort="created_at")
    assert [i for page in pages for i in page] == sorted(ids)


async def test_sort_whitelist(client, alice, make_task) -> None:
    for title, priority in [("b", 1), ("c", 5), ("a", 3)]:
        await make_task(title=title, priority=priority)
    by_title = await client.get("/v1/tasks", params={"sort": "title"}, headers=alice)
    assert [t["title"] for t in by_title.json()["data"]] == ["a", "b", "c"]
    by_priority = await client.get("/v1/tasks", params={"sort": "-priority"}, headers=alice)
    assert [t["priority"] for t in by_priority.json()["data"]] == [5, 3, 1]
    pages = await walk(client, alice, limit=1, sort="-title")
    assert len(pages) == 3

    for bad in ["password_hash", "owner_id", "title; DROP TABLE tasks", "-id,1"]:
        response = await client.get("/v1/tasks", params={"sort": bad}, headers=alice)
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["loc"] == ["query", "sort"]


async def test_offset_pagination(client, alice, make_task) -> None:
    ids = [(await make_task(title=f"t{i}"))["id"] for i in range(5)]
    page2 = await client.get("/v1/tasks", params={"page": 2, "per_page": 2}, headers=alice)
    assert page2.status_code == 200
    body = page2.json()
    assert [t["id"] for t in body["data"]] == sorted(ids, reverse=True)[2:4]
    assert body["pagination"] == {
        "next_cursor": None,
        "has_more": True,
        "page": 2,
        "per_page": 2,
        "total": 5,
    }
    last = await client.get("/v1/tasks", params={"page": 3, "per_page": 2}, headers=alice)
    assert last.json()["pagination"]["has_more"] is False
    beyond = await client.get("/v1/tasks", params={"page": 9, "per_page": 2}, headers=alice)
    assert beyond.json()["data"] == []


async def test_bad_paging_parameters(client, alice, make_task) -> None:
    for _ in range(3):
        await make_task()
    cursor = (await client.get("/v1/tasks", params={"limit": 1}, headers=alice)).json()[
        "pagination"
    ]["next_cursor"]

    mixed = await client.get("/v1/tasks", params={"cursor": cursor, "page": 1}, headers=alice)
    assert mixed.status_code == 400

    # One changed character of the payload breaks the signature.
    payload, signature = cursor.split(".")
    forged = ("A" if payload[0] != "A" else "B") + payload[1:] + "." + signature
    for bad in [forged, "not-a-cursor", "x.y", "' OR '1'='1", cursor + "x"]:
        response = await client.get("/v1/tasks", params={"cursor": bad}, headers=alice)
        assert response.status_code == 400, bad
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/invalid-cursor")

    # A cursor belongs to its query: the same cursor with another sort is refused.
    other_sort = await client.get(
        "/v1/tasks", params={"cursor": cursor, "sort": "title"}, headers=alice
    )
    assert other_sort.status_code == 400

    for params in [{"limit": 0}, {"limit": 101}, {"per_page": 1000}, {"page": 0}]:
        response = await client.get("/v1/tasks", params=params, headers=alice)
        assert response.status_code == 422, params


async def test_filters(client, alice, make_task) -> None:
    project = (await client.post("/v1/projects", json={"name": "P"}, headers=alice)).json()
    await make_task(title="write report", status="doing", project_id=project["id"])
    await make_task(title="read mail", notes="about the report", status="done")
    await make_task(title="call bob")

    async def titles(**params) -> list[str]:
        response = await client.get("/v1/tasks", params={**params, "sort": "title"}, headers=alice)
        assert response.status_code == 200, response.text
        return [t["title"] for t in response.json()["data"]]

    assert await titles(status="doing") == ["write report"]
    assert await titles(q="REPORT") == ["read mail", "write report"]  # title or notes
    assert await titles(project_id=project["id"]) == ["write report"]
    assert await titles(q="report", status="done") == ["read mail"]
    bad_status = await client.get("/v1/tasks", params={"status": "archived"}, headers=alice)
    assert bad_status.status_code == 422


async def test_like_wildcards_are_escaped(client, alice, make_task) -> None:
    for title in ["50% off", "500 pens", "snake_case", "snakeXcase", "back\\slash"]:
        await make_task(title=title)

    async def found(q: str) -> list[str]:
        response = await client.get("/v1/tasks", params={"q": q, "sort": "title"}, headers=alice)
        return [t["title"] for t in response.json()["data"]]

    assert await found("50%") == ["50% off"]  # not "500 pens"
    assert await found("_") == ["snake_case"]  # not every title
    assert await found("%") == ["50% off"]
    assert await found("\\") == ["back\\slash"]


@pytest.mark.parametrize(
    "payload", ["' OR '1'='1", '"; DROP TABLE tasks;--', "%", "_", "1 UNION SELECT * FROM users"]
)
async def test_injection_in_search_returns_only_own_rows(client, alice, bob, payload) -> None:
    await client.post("/v1/tasks", json={"title": "bob's secret"}, headers=bob)
    response = await client.get("/v1/tasks", params={"q": payload}, headers=alice)
    assert response.status_code == 200
    assert response.json()["data"] == []
    assert "secret" not in response.text
    # The table is still there.
    assert len((await client.get("/v1/tasks", headers=bob)).json()["data"]) == 1
