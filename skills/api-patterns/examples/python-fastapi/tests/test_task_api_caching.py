"""ETags, 304 Not Modified, If-Match (412) and Cache-Control."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from task_api.models import Task

pytestmark = pytest.mark.anyio


async def test_etag_and_not_modified(client, alice, make_task) -> None:
    task = await make_task(title="cache me")
    first = await client.get(f"/v1/tasks/{task['id']}", headers=alice)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert first.headers["Vary"] == "Authorization"

    again = await client.get(f"/v1/tasks/{task['id']}", headers={**alice, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    # Weak comparison for If-None-Match: W/ prefix and lists match too.
    for header in [f"W/{etag}", f'"other", {etag}', "*"]:
        response = await client.get(
            f"/v1/tasks/{task['id']}", headers={**alice, "If-None-Match": header}
        )
        assert response.status_code == 304, header

    await client.put(f"/v1/tasks/{task['id']}", json={"title": "changed"}, headers=alice)
    changed = await client.get(f"/v1/tasks/{task['id']}", headers={**alice, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


async def test_if_match_prevents_lost_updates(client, alice, make_task) -> None:
    task = await make_task(title="shared")
    etag = (await client.get(f"/v1/tasks/{task['id']}", headers=alice)).headers["ETag"]

    # Two editors read the same version; the first write wins...
    first = await client.put(
        f"/v1/tasks/{task['id']}", json={"title": "editor 1"}, headers={**alice, "If-Match": etag}
    )
    assert first.status_code == 200
    new_etag = first.headers["ETag"]
    assert new_etag != etag
    # ...the second, still holding the old ETag, is told instead of overwriting.
    second = await client.put(
        f"/v1/tasks/{task['id']}", json={"title": "editor 2"}, headers={**alice, "If-Match": etag}
    )
    assert second.status_code == 412
    assert second.headers["content-type"] == "application/problem+json"
    assert second.json()["type"].endswith("/precondition-failed")
    current = await client.get(f"/v1/tasks/{task['id']}", headers=alice)
    assert current.json()["title"] == "editor 1"

    stale_delete = await client.delete(
        f"/v1/tasks/{task['id']}", headers={**alice, "If-Match": etag}
    )
    assert stale_delete.status_code == 412
    # A weak ETag never satisfies If-Match (strong comparison).
    weak = await client.delete(
        f"/v1/tasks/{task['id']}", headers={**alice, "If-Match": f"W/{new_etag}"}
    )
    assert weak.status_code == 412
    ok = await client.delete(f"/v1/tasks/{task['id']}", headers={**alice, "If-Match": new_etag})
    assert ok.status_code == 204


async def test_projects_have_etags_too(client, alice) -> None:
    project = (await client.post("/v1/projects", json={"name": "E"}, headers=alice)).json()
    etag = (await client.get(f"/v1/projects/{project['id']}", headers=alice)).headers["ETag"]
    stale = await client.put(
        f"/v1/projects/{project['id']}",
        json={"name": "F"},
        headers={**alice, "If-Match": '"not-the-etag"'},
    )
    assert stale.status_code == 412
    fresh = await client.put(
        f"/v1/projects/{project['id']}", json={"name": "F"}, headers={**alice, "If-Match": etag}
    )
    assert fresh.status_code == 200


async def test_lists_are_private(client, alice) -> None:
    response = await client.get("/v1/tasks", headers=alice)
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["Vary"] == "Authorization"


async def test_version_column_catches_a_race_the_etag_check_cannot(app, make_task) -> None:
    # Between the If-Match check and the UPDATE another request may commit; the
    # version column makes that UPDATE match no row, which the API answers with 412.
    task = await make_task(title="race")
    sessions = app.state.services.sessions
    with sessions() as first, sessions() as second:
        mine = first.scalar(select(Task).where(Task.id == task["id"]))
        theirs = second.scalar(select(Task).where(Task.id == task["id"]))
        theirs.title = "theirs"
        second.commit()
        mine.title = "mine"
        with pytest.raises(StaleDataError):
            first.commit()
