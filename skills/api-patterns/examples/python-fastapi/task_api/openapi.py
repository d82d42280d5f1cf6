"""The OpenAPI document, with error bodies under ``application/problem+json``.

FastAPI files the model of every declared response under the route's media type
(application/json). Errors are sent as application/problem+json, so one pass over the
generated document moves the 4xx/5xx bodies there; clients and tools such as
schemathesis then check error responses against the Problem schemas.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from task_api.problems import PROBLEM_MEDIA_TYPE

DESCRIPTION = """A per-user task tracker: projects and tasks.

* Log in with `POST /v1/login` (`{"username", "password"}`; this API's own login, not
  OAuth) and send `Authorization: Bearer <access_token>`.
* Errors are RFC 9457 problem details (`application/problem+json`).
* Lists page by cursor (`?limit=&cursor=`) or by number (`?page=&per_page=`).
* `GET /v1/tasks/{task_id}` is deprecated in favour of `GET /v2/tasks/{task_id}`.
"""


def problem_media_types(document: dict[str, Any]) -> dict[str, Any]:
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    return document


def install_openapi(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=DESCRIPTION,
                routes=app.routes,
                tags=[
                    {"name": "auth", "description": "Sign-up, login, current user"},
                    {"name": "projects", "description": "Your projects"},
                    {"name": "tasks", "description": "Your tasks (v1)"},
                    {"name": "tasks v2", "description": "Tasks, second version"},
                ],
            )
            app.openapi_schema = problem_media_types(document)
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]
