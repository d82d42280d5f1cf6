"""Request and response bodies. Requests forbid unknown fields: a typo or a smuggled
`owner_id` is a 422, not silently ignored."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from .settings import PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS

Username = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^[a-z0-9_]+$")]
NewPassword = Annotated[str, Field(min_length=PASSWORD_MIN_CHARS, max_length=PASSWORD_MAX_CHARS)]
# At login no minimum and no pattern: the answer never says which rule a guess broke.
AnyPassword = Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX_CHARS)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Body = Annotated[str, Field(max_length=4000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(Strict):
    username: Username
    password: NewPassword


class LoginRequest(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: AnyPassword


class PasswordChange(Strict):
    current_password: AnyPassword
    new_password: NewPassword


class UserOut(BaseModel):
    username: str


class SessionOut(BaseModel):
    username: str
    csrf_token: str = Field(description="Send as X-CSRF-Token on POST, PUT, PATCH and DELETE")
    idle_expires_at: int = Field(description="Unix seconds; every request moves it forward")
    absolute_expires_at: int = Field(description="Unix seconds; then a new login is needed")


class NoteCreate(Strict):
    title: Title
    body: Body = ""


class NoteUpdate(Strict):
    """Absent or null fields stay as they are."""

    title: Title | None = None
    body: Body | None = None


class NoteOut(BaseModel):
    id: int
    title: str
    body: str
    created_at: int
    updated_at: int


class Pagination(BaseModel):
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at end")
    has_more: bool


class NotePage(BaseModel):
    data: list[NoteOut]
    pagination: Pagination
