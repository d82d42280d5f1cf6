"""Request and response bodies (pydantic 2).

Request bodies forbid unknown fields (``extra="forbid"``): a typo such as ``"titel"``
is a 422 the client sees at once, not a silently ignored field, and a client cannot
smuggle in fields it must not set (``owner_id``, ``version``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from task_api.models import TaskStatus

Username = Annotated[str, StringConstraints(min_length=3, max_length=32, pattern=r"^[a-z0-9_]+$")]
Password = Annotated[str, StringConstraints(min_length=12, max_length=128)]
ProjectName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _iso_date_text(value: object) -> object:
    # Lax pydantic would read the number 0 as 1970-01-01; a date must be "YYYY-MM-DD".
    if value is not None and not isinstance(value, str | date):
        raise ValueError("a date must be a string like 2026-12-31")
    return value


# FastAPI validates the already-parsed JSON in Python mode, so a model-wide strict=True
# would refuse "todo" for an enum and "2026-12-31" for a date; strictness goes on the
# fields that lax mode would coerce: "3" or 3.0 is not the integer 3.
StrictId = Annotated[int, Field(strict=True, ge=1, le=2**63 - 1)]
IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]


class UserCreate(RequestBody):
    username: Username
    password: Password


class UserOut(BaseModel):
    id: int
    username: str
    created_at: datetime


class LoginIn(RequestBody):
    """Credentials for POST /v1/login.

    Looser than sign-up on purpose: a login attempt with any name is answered like one
    with a registered name (401), never with a 422 that says what a name must look like.
    """

    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class TokenOut(BaseModel):
    """An access token, in the shape of RFC 6749's token response that clients know."""

    access_token: str
    token_type: str = Field("Bearer", description="Always Bearer")
    expires_in: int = Field(description="Lifetime in seconds")


class ProjectIn(RequestBody):
    name: ProjectName
    description: Annotated[str, Field(max_length=2000)] = ""


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    created_at: datetime
    updated_at: datetime


class TaskIn(RequestBody):
    """A whole task: POST creates one, PUT replaces one."""

    title: Title
    notes: Annotated[str, Field(max_length=4000)] = ""
    status: TaskStatus = TaskStatus.todo
    priority: Annotated[int, Field(strict=True, ge=1, le=5)] = 3
    due_on: IsoDate | None = None
    project_id: StrictId | None = None


class TaskOut(BaseModel):
    """A task as /v1 represents it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    notes: str
    status: TaskStatus
    priority: int
    due_on: date | None
    project_id: int | None
    created_at: datetime
    updated_at: datetime


class ProjectRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str


class Timestamps(BaseModel):
    created_at: datetime
    updated_at: datetime


class TaskOutV2(BaseModel):
    """A task as /v2 represents it: ``notes`` is ``description``, the project is
    embedded (no second request for its name), timestamps are grouped."""

    id: int
    title: str
    description: str
    status: TaskStatus
    priority: int
    due_on: date | None
    project: ProjectRef | None
    timestamps: Timestamps


def _is_none(value: object) -> bool:
    return value is None


class Pagination(BaseModel):
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at end")
    has_more: bool
    # Present in offset mode only (absent, not null, in cursor mode).
    page: int | None = Field(None, exclude_if=_is_none, description="Offset mode: page number")
    per_page: int | None = Field(None, exclude_if=_is_none, description="Offset mode: page size")
    total: int | None = Field(
        None, exclude_if=_is_none, description="Offset mode: rows matching the filters"
    )


class TaskPage(BaseModel):
    data: list[TaskOut]
    pagination: Pagination


class ProjectPage(BaseModel):
    data: list[ProjectOut]
    pagination: Pagination
