"""ETags, 304 Not Modified, If-Match (412) and Cache-Control."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from task_api.models import Project, Task

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


@pytest.fixture
def competing_commit(app):
    """Arm a hook that commits another request's change to a row at the moment the
    route's session starts to flush: after its read and If-Match check, before its
    UPDATE or DELETE. Call it with the model and id to change.

    The ETag check cannot see that change; the version column (``version_id_col``) makes
    the route's UPDATE or DELETE match no row, SQLAlchemy raises StaleDataError, and the
    route must turn that into a 412."""
    sessions = app.state.services.sessions
    armed: list[tuple[type, int]] = []

    def commit_theirs_first(session, flush_context, instances) -> None:
        if not armed:
            return
        model, row_id = armed.pop()  # once: the competing session's own flush passes
        with sessions() as theirs:
            row = theirs.get(model, row_id)
            if model is Task:
                row.title = "theirs"
            else:
                row.name = "theirs"
            theirs.commit()

    event.listen(sessions, "before_flush", commit_theirs_first)
    yield lambda model, row_id: armed.append((model, row_id))
    event.remove(sessions, "before_flush", commit_theirs_first)


@pytest.mark.parametrize(
    ("method", "path", "body", "model"),
    [
        ("PUT", "/v1/tasks/{id}", {"title": "mine"}, Task),
        ("DELETE", "/v1/tasks/{id}", None, Task),
        ("PUT", "/v1/projects/{id}", {"name": "mine"}, Project),
    ],
)
async def test_a_write_that_loses_the_race_after_the_check_is_a_412(
    client, alice, make_task, competing_commit, method, path, body, model
) -> None:
    if model is Task:
        row = await make_task(title="race")
        collection = "/v1/tasks"
    else:
        row = (await client.post("/v1/projects", json={"name": "race"}, headers=alice)).json()
        collection = "/v1/projects"
    url = path.format(id=row["id"])
    etag = (await client.get(url, headers=alice)).headers["ETag"]

    competing_commit(model, row["id"])
    # The If-Match is right when the route checks it; the row changes before the write.
    response = await client.request(method, url, json=body, headers={**alice, "If-Match": etag})

    assert response.status_code == 412, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "https://task-api.example/problems/precondition-failed"
    assert problem["status"] == 412 and problem["instance"] == url
    # Their change stands; ours was neither written nor half-written.
    current = await client.get(f"{collection}/{row['id']}", headers=alice)
    assert current.status_code == 200
    assert "theirs" in (current.json().get("title"), current.json().get("name"))
