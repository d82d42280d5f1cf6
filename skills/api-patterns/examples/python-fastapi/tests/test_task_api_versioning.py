"""/v1 and /v2 side by side: the old endpoint announces its deprecation and sunset."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import pytest

pytestmark = pytest.mark.anyio


async def test_v1_read_is_deprecated_with_a_successor(client, alice, make_task) -> None:
    task = await make_task(title="versioned")
    response = await client.get(f"/v1/tasks/{task['id']}", headers=alice)
    assert response.status_code == 200
    # RFC 9745: a structured-field date; RFC 8594: an HTTP date after it.
    deprecated_since = int(response.headers["Deprecation"].removeprefix("@"))
    sunset = parsedate_to_datetime(response.headers["Sunset"])
    assert sunset.timestamp() > deprecated_since
    assert response.headers["Link"] == f'</v2/tasks/{task["id"]}>; rel="successor-version"'


async def test_v2_shape(client, alice, make_task) -> None:
    project = (await client.post("/v1/projects", json={"name": "Garden"}, headers=alice)).json()
    task = await make_task(title="dig", notes="by the fence", project_id=project["id"])
    response = await client.get(f"/v2/tasks/{task['id']}", headers=alice)
    assert response.status_code == 200
    assert "Deprecation" not in response.headers
    body = response.json()
    assert body == {
        "id": task["id"],
        "title": "dig",
        "description": "by the fence",  # was "notes" in v1
        "status": "todo",
        "priority": 3,
        "due_on": None,
        "project": {"id": project["id"], "name": "Garden"},  # was "project_id"
        "timestamps": {"created_at": task["created_at"], "updated_at": task["updated_at"]},
    }
    # Different representations, different ETags; each revalidates on its own.
    v1 = await client.get(f"/v1/tasks/{task['id']}", headers=alice)
    assert v1.headers["ETag"] != response.headers["ETag"]
    cached = await client.get(
        f"/v2/tasks/{task['id']}", headers={**alice, "If-None-Match": response.headers["ETag"]}
    )
    assert cached.status_code == 304


async def test_openapi_marks_the_old_operation_deprecated(client) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert paths["/v1/tasks/{task_id}"]["get"]["deprecated"] is True
    assert "deprecated" not in paths["/v2/tasks/{task_id}"]["get"]
    assert "deprecated" not in paths["/v1/tasks/{task_id}"]["put"]
