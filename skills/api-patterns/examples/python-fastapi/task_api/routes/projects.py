"""/v1/projects: CRUD on the current user's projects."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from task_api.dependencies import CurrentUser, ProjectId, ServicesDep, SessionDep
from task_api.http_caching import (
    PRIVATE_REVALIDATE,
    IfMatch,
    IfNoneMatch,
    conditional_get,
    lost_update,
    representation,
    require_match,
)
from task_api.models import Project, Task, User
from task_api.pagination import (
    PageRequest,
    SortField,
    datetime_sort,
    page_request,
    paginate,
)
from task_api.problems import (
    BAD_REQUEST,
    CONFLICT,
    INVALID,
    NOT_FOUND,
    PRECONDITION_FAILED,
    TOO_LARGE,
    UNAUTHORIZED,
    ProblemError,
    error_responses,
)
from task_api.schemas import ProjectIn, ProjectOut, ProjectPage

router = APIRouter(prefix="/v1/projects", tags=["projects"])

SORT_FIELDS = {
    "created_at": datetime_sort(Project.created_at),
    "name": SortField(Project.name),
}
# The whitelist: anything else is a 422 (and never reaches ORDER BY).
ProjectSort = Literal["created_at", "-created_at", "name", "-name"]


def owned_project(session: Session, user: User, project_id: int) -> Project:
    project = session.scalar(
        select(Project).where(Project.id == project_id, Project.owner_id == user.id)
    )
    if project is None:
        # Someone else's project is "not found", not "forbidden": a 403 would confirm
        # that the id exists.
        raise ProblemError(404, f"No project {project_id}.")
    return project


def _name_taken() -> ProblemError:
    return ProblemError(409, "You already have a project with that name.", type_="name-taken")


@router.get(
    "",
    operation_id="listProjects",
    summary="List your projects (cursor or offset pagination)",
    responses=error_responses(BAD_REQUEST, UNAUTHORIZED, INVALID),
)
def list_projects(
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
    response: Response,
    paging: Annotated[PageRequest, Depends(page_request)],
    sort: Annotated[ProjectSort, Query(description="Sort field; prefix - for descending")] = (
        "-created_at"
    ),
) -> ProjectPage:
    statement = select(Project).where(Project.owner_id == user.id)
    page = paginate(
        session,
        statement,
        id_column=Project.id,
        sort_fields=SORT_FIELDS,
        sort=sort,
        filters={},
        request=paging,
        codec=services.cursors,
    )
    response.headers["Cache-Control"] = PRIVATE_REVALIDATE
    response.headers["Vary"] = "Authorization"
    return ProjectPage.model_validate(
        {"data": page.rows, "pagination": page.pagination()}, from_attributes=True
    )


@router.post(
    "",
    operation_id="createProject",
    summary="Create a project",
    status_code=201,
    responses=error_responses(UNAUTHORIZED, CONFLICT, TOO_LARGE, INVALID),
)
def create_project(
    body: ProjectIn, user: CurrentUser, session: SessionDep, response: Response
) -> ProjectOut:
    project = Project(owner_id=user.id, **body.model_dump())
    session.add(project)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise _name_taken() from None
    response.headers["Location"] = f"/v1/projects/{project.id}"
    return ProjectOut.model_validate(project)


@router.get(
    "/{project_id}",
    operation_id="getProject",
    summary="Read a project (ETag; If-None-Match gives 304)",
    response_model=ProjectOut,
    responses={
        304: {"description": "Not modified: your copy (If-None-Match) is current"},
        **error_responses(UNAUTHORIZED, NOT_FOUND, INVALID),
    },
)
def get_project(
    project_id: ProjectId, user: CurrentUser, session: SessionDep, if_none_match: IfNoneMatch = None
) -> Response:
    project = owned_project(session, user, project_id)
    return conditional_get(representation(ProjectOut.model_validate(project)), if_none_match)


@router.put(
    "/{project_id}",
    operation_id="replaceProject",
    summary="Replace a project (If-Match for optimistic concurrency)",
    response_model=ProjectOut,
    responses=error_responses(
        UNAUTHORIZED, NOT_FOUND, CONFLICT, PRECONDITION_FAILED, TOO_LARGE, INVALID
    ),
)
def replace_project(
    project_id: ProjectId,
    body: ProjectIn,
    user: CurrentUser,
    session: SessionDep,
    if_match: IfMatch = None,
) -> Response:
    project = owned_project(session, user, project_id)
    require_match(if_match, representation(ProjectOut.model_validate(project)))
    for name, value in body.model_dump().items():
        setattr(project, name, value)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise _name_taken() from None
    except StaleDataError:
        # Another request updated the row between our read and our write.
        session.rollback()
        raise lost_update() from None
    return conditional_get(representation(ProjectOut.model_validate(project)), None)


@router.delete(
    "/{project_id}",
    operation_id="deleteProject",
    summary="Delete a project that has no tasks",
    status_code=204,
    response_class=Response,
    responses=error_responses(UNAUTHORIZED, NOT_FOUND, CONFLICT, PRECONDITION_FAILED, INVALID),
)
def delete_project(
    project_id: ProjectId, user: CurrentUser, session: SessionDep, if_match: IfMatch = None
) -> Response:
    project = owned_project(session, user, project_id)
    require_match(if_match, representation(ProjectOut.model_validate(project)))
    if session.scalar(select(exists().where(Task.project_id == project.id))):
        raise ProblemError(
            409, "The project still has tasks; move or delete them first.", type_="project-in-use"
        )
    session.delete(project)
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise lost_update() from None
    return Response(status_code=204)
