"""Create, read, replace, delete; ownership (another user's object is a 404)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio


async def test_task_lifecycle(client, alice) -> None:
    created = await client.post(
        "/v1/tasks",
        json={"title": "  Buy milk  ", "priority": 2, "due_on": "2026-12-01"},
        headers=alice,
    )
    assert created.status_code == 201
    task = created.json()
    assert created.headers["Location"] == f"/v1/tasks/{task['id']}"
    assert task["title"] == "Buy milk"  # whitespace stripped by the schema
    assert (task["status"], task["priority"], task["due_on"]) == ("todo", 2, "2026-12-01")

    read = await client.get(created.headers["Location"], headers=alice)
    assert read.status_code == 200
    assert read.json() == task

    replaced = await client.put(
        f"/v1/tasks/{task['id']}",
        json={"title": "Buy oat milk", "status": "done", "priority": 5},
        headers=alice,
    )
    assert replaced.status_code == 200
    body = replaced.json()
    # PUT replaces: fields left out return to their defaults.
    assert (body["title"], body["status"], body["due_on"]) == ("Buy oat milk", "done", None)
    assert body["updated_at"] > task["updated_at"]
    assert body["created_at"] == task["created_at"]

    deleted = await client.delete(f"/v1/tasks/{task['id']}", headers=alice)
    assert deleted.status_code == 204
    assert deleted.content == b""
    gone = await client.get(f"/v1/tasks/{task['id']}", headers=alice)
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"


async def test_project_lifecycle_and_conflicts(client, alice) -> None:
    created = await client.post("/v1/projects", json={"name": "Home"}, headers=alice)
    assert created.status_code == 201
    project = created.json()
    assert created.headers["Location"] == f"/v1/projects/{project['id']}"

    duplicate = await client.post("/v1/projects", json={"name": "Home"}, headers=alice)
    assert duplicate.status_code == 409
    assert duplicate.json()["type"].endswith("/name-taken")

    task = await client.post(
        "/v1/tasks", json={"title": "Fix door", "project_id": project["id"]}, headers=alice
    )
    assert task.status_code == 201
    in_use = await client.delete(f"/v1/projects/{project['id']}", headers=alice)
    assert in_use.status_code == 409
    assert in_use.json()["type"].endswith("/project-in-use")

    await client.delete(f"/v1/tasks/{task.json()['id']}", headers=alice)
    renamed = await client.put(
        f"/v1/projects/{project['id']}", json={"name": "House", "description": "d"}, headers=alice
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "House"
    assert (await client.delete(f"/v1/projects/{project['id']}", headers=alice)).status_code == 204


async def test_same_project_name_for_two_users_is_fine(client, alice, bob) -> None:
    for headers in (alice, bob):
        response = await client.post("/v1/projects", json={"name": "Work"}, headers=headers)
        assert response.status_code == 201


async def test_other_users_objects_are_not_found(client, alice, bob, make_task) -> None:
    task = await make_task(title="alice's secret")
    project = (await client.post("/v1/projects", json={"name": "Private"}, headers=alice)).json()

    for method, path, body in [
        ("GET", f"/v1/tasks/{task['id']}", None),
        ("GET", f"/v2/tasks/{task['id']}", None),
        ("PUT", f"/v1/tasks/{task['id']}", {"title": "pwned"}),
        ("DELETE", f"/v1/tasks/{task['id']}", None),
        ("GET", f"/v1/projects/{project['id']}", None),
        ("PUT", f"/v1/projects/{project['id']}", {"name": "pwned"}),
        ("DELETE", f"/v1/projects/{project['id']}", None),
    ]:
        response = await client.request(method, path, json=body, headers=bob)
        # 404, not 403: bob cannot even learn that the id exists.
        assert response.status_code == 404, (method, path)
        assert "secret" not in response.text and "Private" not in response.text

    listed = await client.get("/v1/tasks", headers=bob)
    assert listed.json()["data"] == []
    # alice's objects are untouched.
    again = await client.get(f"/v1/tasks/{task['id']}", headers=alice)
    assert again.json()["title"] == "alice's secret"


async def test_cannot_attach_a_task_to_another_users_project(client, alice, bob) -> None:
    project = (await client.post("/v1/projects", json={"name": "Mine"}, headers=alice)).json()
    response = await client.post(
        "/v1/tasks", json={"title": "sneaky", "project_id": project["id"]}, headers=bob
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["body", "project_id"], "msg": "No such project", "type": "not_found"}
    ]


async def test_current_user(client, alice) -> None:
    response = await client.get("/v1/me", headers=alice)
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert "password" not in response.text
