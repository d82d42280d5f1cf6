"""/v1/tasks: CRUD, filtering, sorting and both pagination styles on the user's tasks."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from task_api.dependencies import MAX_ID, CurrentUser, ServicesDep, SessionDep, TaskId
from task_api.http_caching import (
    PRIVATE_REVALIDATE,
    IfMatch,
    IfNoneMatch,
    conditional_get,
    lost_update,
    representation,
    require_match,
)
from task_api.models import Project, Task, TaskStatus, User
from task_api.pagination import PageRequest, SortField, datetime_sort, page_request, paginate
from task_api.problems import (
    BAD_REQUEST,
    INVALID,
    NOT_FOUND,
    PRECONDITION_FAILED,
    TOO_LARGE,
    UNAUTHORIZED,
    ProblemError,
    error_responses,
)
from task_api.schemas import TaskIn, TaskOut, TaskPage

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])

SORT_FIELDS = {
    "created_at": datetime_sort(Task.created_at),
    "updated_at": datetime_sort(Task.updated_at),
    "title": SortField(Task.title),
    "priority": SortField(Task.priority),
}
# The whitelist: anything else is a 422 (and never reaches ORDER BY).
TaskSort = Literal[
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "title",
    "-title",
    "priority",
    "-priority",
]

# GET /v1/tasks/{id} is superseded by /v2/tasks/{id}. Deprecation (RFC 9745) is a
# structured-field date (@ + Unix seconds); Sunset (RFC 8594) an HTTP date.
DEPRECATED_SINCE = datetime(2026, 1, 1, tzinfo=UTC)
SUNSET_AT = datetime(2027, 1, 1, tzinfo=UTC)
DEPRECATION_HEADERS = {
    "Deprecation": f"@{int(DEPRECATED_SINCE.timestamp())}",
    "Sunset": format_datetime(SUNSET_AT, usegmt=True),
}
HEADER_SCHEMA = {"schema": {"type": "string"}}


def owned_task(session: Session, user: User, task_id: int) -> Task:
    task = session.scalar(select(Task).where(Task.id == task_id, Task.owner_id == user.id))
    if task is None:
        # Someone else's task is "not found", not "forbidden": a 403 would confirm the id.
        raise ProblemError(404, f"No task {task_id}.")
    return task


def check_project(session: Session, user: User, project_id: int | None) -> None:
    if project_id is None:
        return
    owned = session.scalar(
        select(Project.id).where(Project.id == project_id, Project.owner_id == user.id)
    )
    if owned is None:
        raise ProblemError(
            422,
            "1 invalid field(s)",
            type_="validation-error",
            title="Your request is not valid",
            errors=[{"loc": ["body", "project_id"], "msg": "No such project", "type": "not_found"}],
        )


def escape_like(text: str) -> str:
    """Make % and _ (and the escape character) match themselves in a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@router.get(
    "",
    operation_id="listTasks",
    summary="List your tasks: filter, sort, and page by cursor or by page number",
    responses=error_responses(BAD_REQUEST, UNAUTHORIZED, INVALID),
)
def list_tasks(
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
    response: Response,
    paging: Annotated[PageRequest, Depends(page_request)],
    sort: Annotated[TaskSort, Query(description="Sort field; prefix - for descending")] = (
        "-created_at"
    ),
    status: Annotated[TaskStatus | None, Query(description="Only tasks in this status")] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Text in the title or notes"),
    ] = None,
    project_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only tasks of this project")
    ] = None,
) -> TaskPage:
    # owner_id first: every row this query can ever return belongs to the caller.
    statement = select(Task).where(Task.owner_id == user.id)
    if status is not None:
        statement = statement.where(Task.status == status)
    if project_id is not None:
        statement = statement.where(Task.project_id == project_id)
    if q is not None:
        # A bound parameter with % and _ escaped: the text is data, never SQL, and a
        # search for "50%" finds "50%" rather than everything starting with "50".
        pattern = f"%{escape_like(q)}%"
        statement = statement.where(
            or_(Task.title.ilike(pattern, escape="\\"), Task.notes.ilike(pattern, escape="\\"))
        )
    page = paginate(
        session,
        statement,
        id_column=Task.id,
        sort_fields=SORT_FIELDS,
        sort=sort,
        filters={"status": status, "q": q, "project_id": project_id},
        request=paging,
        codec=services.cursors,
    )
    response.headers["Cache-Control"] = PRIVATE_REVALIDATE
    response.headers["Vary"] = "Authorization"
    return TaskPage.model_validate(
        {"data": page.rows, "pagination": page.pagination()}, from_attributes=True
    )


@router.post(
    "",
    operation_id="createTask",
    summary="Create a task",
    status_code=201,
    responses=error_responses(UNAUTHORIZED, TOO_LARGE, INVALID),
)
def create_task(
    body: TaskIn, user: CurrentUser, session: SessionDep, response: Response
) -> TaskOut:
    check_project(session, user, body.project_id)
    task = Task(owner_id=user.id, **body.model_dump())
    session.add(task)
    session.commit()
    response.headers["Location"] = f"/v1/tasks/{task.id}"
    return TaskOut.model_validate(task)


@router.get(
    "/{task_id}",
    operation_id="getTaskV1",
    summary="Read a task (deprecated: use GET /v2/tasks/{task_id})",
    deprecated=True,
    response_model=TaskOut,
    responses={
        200: {
            "description": "The task",
            "headers": {
                "ETag": {"description": "Version of this representation", **HEADER_SCHEMA},
                "Deprecation": {"description": "RFC 9745: deprecated since", **HEADER_SCHEMA},
                "Sunset": {"description": "RFC 8594: removed after", **HEADER_SCHEMA},
            },
        },
        304: {"description": "Not modified: your copy (If-None-Match) is current"},
        **error_responses(UNAUTHORIZED, NOT_FOUND, INVALID),
    },
)
def get_task(
    task_id: TaskId, user: CurrentUser, session: SessionDep, if_none_match: IfNoneMatch = None
) -> Response:
    task = owned_task(session, user, task_id)
    headers = {
        **DEPRECATION_HEADERS,
        "Link": f'</v2/tasks/{task.id}>; rel="successor-version"',
    }
    return conditional_get(representation(TaskOut.model_validate(task)), if_none_match, headers)


@router.put(
    "/{task_id}",
    operation_id="replaceTask",
    summary="Replace a task (If-Match for optimistic concurrency)",
    response_model=TaskOut,
    responses=error_responses(UNAUTHORIZED, NOT_FOUND, PRECONDITION_FAILED, TOO_LARGE, INVALID),
)
def replace_task(
    task_id: TaskId,
    body: TaskIn,
    user: CurrentUser,
    session: SessionDep,
    if_match: IfMatch = None,
) -> Response:
    task = owned_task(session, user, task_id)
    require_match(if_match, representation(TaskOut.model_validate(task)))
    check_project(session, user, body.project_id)
    for name, value in body.model_dump().items():
        setattr(task, name, value)
    try:
        session.commit()
    except StaleDataError:
        # Another request updated the row between our read and our write.
        session.rollback()
        raise lost_update() from None
    return conditional_get(representation(TaskOut.model_validate(task)), None)


@router.delete(
    "/{task_id}",
    operation_id="deleteTask",
    summary="Delete a task",
    status_code=204,
    response_class=Response,
    responses=error_responses(UNAUTHORIZED, NOT_FOUND, PRECONDITION_FAILED, INVALID),
)
def delete_task(
    task_id: TaskId, user: CurrentUser, session: SessionDep, if_match: IfMatch = None
) -> Response:
    task = owned_task(session, user, task_id)
    require_match(if_match, representation(TaskOut.model_validate(task)))
    session.delete(task)
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise lost_update() from None
    return Response(status_code=204)
