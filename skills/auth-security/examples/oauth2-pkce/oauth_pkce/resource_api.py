"""The protected resource: each user's notes, behind RFC 9068 JWT access tokens.

Every failure of the bearer check is a 401 with ``WWW-Authenticate: Bearer`` (RFC 6750 3),
a missing scope a 403 ``insufficient_scope``; another user's note is a 404, exactly like a
note that does not exist, so ids cannot be probed. The list pages by ``limit`` and an
opaque ``cursor`` (see ``pagination.py``) and answers ``{"data": [...], "pagination": ...}``.
"""

# No `from __future__ import annotations` here: FastAPI must resolve the Annotated aliases
# defined inside build_resource_router when the route functions are declared.

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, Security
from fastapi.security import OAuth2AuthorizationCodeBearer, SecurityScopes
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from .authorization import user_info
from .db import IssuedToken, Note, User
from .error_docs import FORBIDDEN, NOT_FOUND, UNAUTHORIZED
from .pagination import DEFAULT_LIMIT, MAX_CURSOR_LENGTH, MAX_LIMIT, Pagination, keyset_page
from .problems import BAD_CURSOR, INVALID, TOO_LARGE, error_responses
from .settings import Settings
from .tokens import AccessToken, InvalidAccessToken, verify_access_token

REALM = "notes"


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


DB = Annotated[Session, Depends(get_db)]


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=4000)


class NoteOut(BaseModel):
    id: int
    title: str
    body: str


class NotePage(BaseModel):
    data: list[NoteOut]
    pagination: Pagination


@dataclass(frozen=True)
class Caller:
    user: User
    token: AccessToken


def _unauthorized(description: str | None) -> HTTPException:
    challenge = f'Bearer realm="{REALM}"'
    if description:  # RFC 6750 3.1: no error code when no token was sent at all
        challenge += f', error="invalid_token", error_description="{description}"'
    return HTTPException(
        401, description or "A bearer token is required.", {"WWW-Authenticate": challenge}
    )


def build_resource_router(settings: Settings) -> APIRouter:
    # Declared as OAuth 2.0 authorization code in the OpenAPI schema, so tools know where
    # tokens come from; auto_error=False lets the 401 below be a problem details body.
    oauth2_scheme = OAuth2AuthorizationCodeBearer(
        authorizationUrl=f"{settings.issuer}/authorize",
        tokenUrl=f"{settings.issuer}/token",
        scopes={"openid": "Sign-in", "profile": "Name", "notes": "Read and write your notes"},
        auto_error=False,
    )

    def authenticated(
        security_scopes: SecurityScopes,
        request: Request,
        db: DB,
        bearer: Annotated[str | None, Depends(oauth2_scheme)],
    ) -> Caller:
        if not bearer:
            raise _unauthorized(None)
        try:
            token = verify_access_token(
                bearer,
                request.app.state.signing_key,
                issuer=settings.issuer,
                audience=settings.api_audience,
            )
        except InvalidAccessToken as exc:
            raise _unauthorized(str(exc)) from None
        issued = db.get(IssuedToken, token.jti)
        if issued is not None and issued.revoked_at is not None:
            raise _unauthorized("The token was revoked.")
        user = db.scalars(select(User).where(User.subject == token.subject)).one_or_none()
        if user is None:
            raise _unauthorized("The token's subject no longer exists.")
        missing = set(security_scopes.scopes) - token.scopes
        if missing:
            raise HTTPException(
                403,
                f"The token lacks the scope: {' '.join(sorted(missing))}.",
                {
                    "WWW-Authenticate": f'Bearer realm="{REALM}", error="insufficient_scope", '
                    f'scope="{security_scopes.scope_str}"'
                },
            )
        return Caller(user, token)

    NotesCaller = Annotated[Caller, Security(authenticated, scopes=["notes"])]
    OpenIDCaller = Annotated[Caller, Security(authenticated, scopes=["openid"])]
    router = APIRouter()

    # What every operation behind the bearer check can answer, besides its own errors.
    protected = (UNAUTHORIZED, FORBIDDEN)

    @router.get("/userinfo", tags=["oidc"], responses=error_responses(*protected))
    def userinfo(caller: OpenIDCaller) -> dict[str, str]:
        """OIDC UserInfo: claims about the token's user, filtered by its scopes."""
        return dict(user_info(caller.user, " ".join(sorted(caller.token.scopes))))

    @router.post(
        "/api/notes",
        status_code=201,
        tags=["notes"],
        responses=error_responses(*protected, TOO_LARGE, INVALID),
    )
    def create_note(
        note: NoteCreate, caller: NotesCaller, db: DB, request: Request, response: Response
    ) -> NoteOut:
        row = Note(owner_id=caller.user.id, title=note.title, body=note.body)
        db.add(row)
        db.commit()
        response.headers["Location"] = str(request.url_for("read_note", note_id=row.id).path)
        return NoteOut(id=row.id, title=row.title, body=row.body)

    @router.get(
        "/api/notes", tags=["notes"], responses=error_responses(BAD_CURSOR, *protected, INVALID)
    )
    def list_notes(
        caller: NotesCaller,
        db: DB,
        request: Request,
        q: Annotated[str | None, Query(max_length=100, description="Title contains")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = DEFAULT_LIMIT,
        cursor: Annotated[
            str | None,
            Query(
                max_length=MAX_CURSOR_LENGTH,
                description="`pagination.next_cursor` of the previous page; omit for the first",
            ),
        ] = None,
    ) -> NotePage:
        """The caller's notes, oldest first, a page at a time."""
        query = select(Note).where(Note.owner_id == caller.user.id)
        if q:
            # Bound parameter, and % and _ escaped: the search text is never a pattern.
            query = query.where(Note.title.contains(q, autoescape=True))
        # A cursor is valid only for the user and the search that produced it.
        this_query = {"user": caller.user.id, "q": q or ""}
        cursors = request.app.state.cursors
        after = None if cursor is None else cursors.decode(cursor, this_query)
        notes, has_more = keyset_page(db, query, Note.id, limit, after)
        next_cursor = cursors.encode(this_query, notes[-1].id) if has_more else None
        return NotePage(
            data=[NoteOut(id=n.id, title=n.title, body=n.body) for n in notes],
            pagination=Pagination(next_cursor=next_cursor, has_more=has_more),
        )

    def own_note(db: Session, caller: Caller, note_id: int) -> Note:
        note = db.get(Note, note_id)
        if note is None or note.owner_id != caller.user.id:
            raise HTTPException(404, "No such note.")
        return note

    @router.get(
        "/api/notes/{note_id}",
        tags=["notes"],
        responses=error_responses(*protected, NOT_FOUND, INVALID),
    )
    def read_note(note_id: int, caller: NotesCaller, db: DB) -> NoteOut:
        note = own_note(db, caller, note_id)
        return NoteOut(id=note.id, title=note.title, body=note.body)

    @router.delete(
        "/api/notes/{note_id}",
        status_code=204,
        tags=["notes"],
        responses=error_responses(*protected, NOT_FOUND, INVALID),
    )
    def delete_note(note_id: int, caller: NotesCaller, db: DB) -> Response:
        db.delete(own_note(db, caller, note_id))
        db.commit()
        return Response(status_code=204)

    return router
