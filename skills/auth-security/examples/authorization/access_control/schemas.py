"""Request and response bodies. Every request model forbids unknown fields, so a client
cannot slip in ``owner_id`` or ``org_id`` and have it silently ignored (or, worse, used)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import MISSING, BaseModel, ConfigDict, Field

Username = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_-]*$")


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(RequestBody):
    username: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")


class DocumentCreate(RequestBody):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=8_000)
    folder_id: int | None = Field(
        default=None, description="Omit to file at the organization root."
    )
    sensitivity: int = Field(default=0, ge=0, le=3)


class DocumentUpdate(RequestBody):
    """A partial update: an absent field stays as it is. Neither column can be NULL, so null
    is a 422 (an empty body is ""); MISSING, not None, is what marks a field as absent."""

    title: str | MISSING = Field(default=MISSING, min_length=1, max_length=200)
    body: str | MISSING = Field(default=MISSING, max_length=8_000)


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    folder_id: int | None
    owner_id: int
    department: str
    status: str
    sensitivity: int
    created_at: datetime


class Pagination(BaseModel):
    next_cursor: str | None = Field(
        description="Pass as ?cursor= (with the same filters and sort) for the next page; "
        "null on the last page."
    )
    has_more: bool
    total: int = Field(description="Rows you may see that match the filters, across all pages.")


class DocumentPage(BaseModel):
    """The course's list envelope: the rows in ``data``, where to go next in ``pagination``."""

    data: list[DocumentOut]
    pagination: Pagination


class ShareCreate(RequestBody):
    username: str = Username
    relation: Literal["viewer", "editor"]


class ShareOut(BaseModel):
    relation_tuple: str


class FolderCreate(RequestBody):
    name: str = Field(min_length=1, max_length=200)
    parent_id: int | None = None


class FolderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    parent_id: int | None


class FolderPage(BaseModel):
    data: list[FolderOut]
    pagination: Pagination


class PermissionsOut(BaseModel):
    relations: list[str] = Field(description="ReBAC relations the caller holds on the document.")
    actions: dict[str, bool] = Field(description="What the caller's UI may offer.")


class MeOut(BaseModel):
    username: str
    organization: str
    roles: list[str]
    department: str
    clearance: int


class MemberOut(BaseModel):
    username: str
    roles: list[str]
    department: str


class MemberPage(BaseModel):
    data: list[MemberOut]
    pagination: Pagination


class ProblemDetails(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, Any]] | None = None
