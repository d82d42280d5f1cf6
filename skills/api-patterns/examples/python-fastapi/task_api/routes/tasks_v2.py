"""/v2/tasks/{task_id}: the successor of GET /v1/tasks/{task_id}, with a new shape.

A breaking change (a renamed field, an embedded object) gets a new version; /v1 keeps
answering, marked with Deprecation and Sunset headers, until its sunset date.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from task_api.dependencies import CurrentUser, SessionDep, TaskId
from task_api.http_caching import IfNoneMatch, conditional_get, representation
from task_api.models import Task
from task_api.problems import INVALID, NOT_FOUND, UNAUTHORIZED, ProblemError, error_responses
from task_api.schemas import ProjectRef, TaskOutV2, Timestamps

router = APIRouter(prefix="/v2/tasks", tags=["tasks v2"])


def task_v2(task: Task) -> TaskOutV2:
    return TaskOutV2(
        id=task.id,
        title=task.title,
        description=task.notes,
        status=task.status,
        priority=task.priority,
        due_on=task.due_on,
        project=ProjectRef.model_validate(task.project) if task.project else None,
        timestamps=Timestamps(created_at=task.created_at, updated_at=task.updated_at),
    )


@router.get(
    "/{task_id}",
    operation_id="getTaskV2",
    summary="Read a task, with its project embedded",
    response_model=TaskOutV2,
    responses={
        304: {"description": "Not modified: your copy (If-None-Match) is current"},
        **error_responses(UNAUTHORIZED, NOT_FOUND, INVALID),
    },
)
def get_task_v2(
    task_id: TaskId, user: CurrentUser, session: SessionDep, if_none_match: IfNoneMatch = None
) -> Response:
    task = session.scalar(
        select(Task)
        .options(joinedload(Task.project))
        .where(Task.id == task_id, Task.owner_id == user.id)
    )
    if task is None:
        raise ProblemError(404, f"No task {task_id}.")
    return conditional_get(representation(task_v2(task)), if_none_match)
