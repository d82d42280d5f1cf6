"""Request and response bodies; requests forbid unknown fields."""

from __future__ import annotations

from typing import Annotated

from pydantic import MISSING, BaseModel, ConfigDict, Field

Username = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^[a-z0-9_]+$")]
Password = Annotated[str, Field(min_length=12, max_length=1024)]
RefreshTokenValue = Annotated[str, Field(min_length=1, max_length=256)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
NoteBody = Annotated[str, Field(max_length=10_000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(Strict):
    username: Username
    password: Password


class LoginRequest(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class RefreshRequest(Strict):
    refresh_token: RefreshTokenValue


class UserOut(BaseModel):
    id: int
    username: str


class TokenPair(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str
    refresh_token_expires_in: int


class SessionOut(BaseModel):
    id: str
    created_at: int
    last_used_at: int
    expires_at: int
    current: bool


class NoteCreate(Strict):
    title: Title
    body: NoteBody = ""


class NoteUpdate(Strict):
    """A partial update: an absent field stays as it is. Neither column can be NULL, so null
    is a 422 (an empty body is ""); MISSING, not None, is what marks a field as absent."""

    title: Title | MISSING = MISSING
    body: NoteBody | MISSING = MISSING


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


class SessionPage(BaseModel):
    data: list[SessionOut]
    pagination: Pagination
