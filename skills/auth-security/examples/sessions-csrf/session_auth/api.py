"""The HTTP API: sign up, log in and out (here or everywhere), change the password, and
keep private notes, all behind a server-side session cookie."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    Security,
)
from fastapi.security import APIKeyCookie
from sqlalchemy.orm import Session

from . import accounts, notes, pagination, sessions
from .body_limit import BodySizeLimitMiddleware
from .csrf import OriginCheckMiddleware, token_matches
from .db import Base, LoginSession, Note, User, make_engine, make_session_factory
from .passwords import PasswordService, make_hasher
from .problems import install_problem_handlers, problem_responses
from .schemas import (
    LoginRequest,
    NoteCreate,
    NoteOut,
    NotePage,
    NoteUpdate,
    PasswordChange,
    RegisterRequest,
    SessionOut,
    UserOut,
)
from .sessions import Issued, Lifetimes
from .settings import CSRF_HEADER, SESSION_COOKIE, Settings

# One message for an unknown user and for a wrong password: which of the two it was is
# exactly what an attacker enumerating accounts wants to learn.
BAD_CREDENTIALS = "Invalid username or password."
# RFC 9110 requires a challenge with every 401. No registered scheme covers cookies, so
# this one names the cookie and where to get it.
CHALLENGE = f'Cookie realm="session-auth", cookie-name="{SESSION_COOKIE}", form-action="/login"'

cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="sessionCookie",
    auto_error=False,
    description="The session id set by POST /login (HttpOnly: scripts never see it).",
)
router = APIRouter()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        Base.metadata.create_all(engine)
        yield
        engine.dispose()

    app = FastAPI(
        title="session-auth",
        version="1.0.0",
        summary="Server-side sessions in a __Host- cookie, with CSRF defences.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.passwords = PasswordService(make_hasher(settings.argon2), settings.hashing_slots)
    app.state.lifetimes = Lifetimes(
        idle_seconds=settings.idle_timeout_seconds,
        absolute_seconds=settings.absolute_lifetime_seconds,
    )
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    # Added last, so it runs first: a cross-site write is refused before its body is read.
    app.add_middleware(
        OriginCheckMiddleware, allowed_origin=settings.origin, session_cookie=SESSION_COOKIE
    )
    app.include_router(router)
    return app


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.session_factory() as db:
        yield db


def get_passwords(request: Request) -> PasswordService:
    return request.app.state.passwords


def get_lifetimes(request: Request) -> Lifetimes:
    return request.app.state.lifetimes


def get_now(request: Request) -> int:
    return int(request.app.state.settings.clock())


DbDep = Annotated[Session, Depends(get_db)]
PasswordsDep = Annotated[PasswordService, Depends(get_passwords)]
LifetimesDep = Annotated[Lifetimes, Depends(get_lifetimes)]
NowDep = Annotated[int, Depends(get_now)]
CookieDep = Annotated[str | None, Security(cookie_scheme)]


def expired_cookie() -> str:
    """A Set-Cookie that makes the browser drop the session cookie now. The attributes must
    match the ones it was set with, or the browser keeps the original."""
    response = Response()
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response.headers["set-cookie"]


def set_session_cookie(response: Response, issued: Issued, now: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issued.session_id,
        # The browser forgets it at the absolute expiry; the server enforces both limits.
        max_age=issued.row.absolute_expires_at - now,
        path="/",
        domain=None,  # host-only: never sent to sibling or child domains
        secure=True,  # https only, so no network attacker reads it
        httponly=True,  # invisible to JavaScript, so an XSS cannot carry it away
        # Lax, not Strict: with Strict, following a link from another site (a mail, a chat)
        # arrives without the cookie and the user looks signed out. Lax still withholds it
        # from every cross-site POST, fetch, form, frame and image, and GETs here change
        # nothing; the Origin check and the token stop the rest.
        samesite="lax",
    )
    # A response that carries a session (and its CSRF token) is never stored by a cache.
    response.headers["Cache-Control"] = "no-store"


def session_out(db: Session, row: LoginSession) -> SessionOut:
    user = db.get(User, row.user_id)
    assert user is not None  # ON DELETE CASCADE: no session outlives its user
    return SessionOut(
        username=user.username,
        csrf_token=row.csrf_token,
        idle_expires_at=row.idle_expires_at,
        absolute_expires_at=row.absolute_expires_at,
    )


def live_session(session_id: str | None, db: Session, now: int) -> LoginSession:
    if session_id is None:
        raise HTTPException(401, "Sign in first.", {"WWW-Authenticate": CHALLENGE})
    row = sessions.find_live(db, session_id, now)
    if row is None:
        # Logged out, expired, or never issued: the same answer, and the browser is told to
        # drop the dead cookie.
        raise HTTPException(
            401,
            "The session has ended. Sign in again.",
            {"WWW-Authenticate": CHALLENGE, "Set-Cookie": expired_cookie()},
        )
    return row


def reading_session(
    session_id: CookieDep, db: DbDep, now: NowDep, lifetimes: LifetimesDep
) -> LoginSession:
    """The caller's session, for safe methods (GET)."""
    row = live_session(session_id, db, now)
    sessions.touch(db, row, now, lifetimes)
    return row


def writing_session(
    session_id: CookieDep,
    db: DbDep,
    now: NowDep,
    lifetimes: LifetimesDep,
    # Optional to FastAPI, so that a missing token is our 403, not a 422.
    csrf_token: Annotated[
        str | None,
        Header(alias=CSRF_HEADER, description="Required: `csrf_token` of the session; else 403"),
    ] = None,
) -> LoginSession:
    """The caller's session, for unsafe methods: only with this session's CSRF token."""
    row = live_session(session_id, db, now)
    if not token_matches(csrf_token, row.csrf_token):
        # Checked before touch(): a forged request does not even extend the session.
        raise HTTPException(403, "The CSRF token is missing or does not match the session.")
    sessions.touch(db, row, now, lifetimes)
    return row


ReaderDep = Annotated[LoginSession, Depends(reading_session)]
WriterDep = Annotated[LoginSession, Depends(writing_session)]
NoteIdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]


def own_note(db: Session, row: LoginSession, note_id: int) -> Note:
    note = notes.get(db, row.user_id, note_id)
    if note is None:
        # Another user's note is "not found", exactly like one that never existed.
        raise HTTPException(404, "No such note.")
    return note


@router.post(
    "/users",
    operation_id="createUser",
    status_code=201,
    response_model=UserOut,
    responses=problem_responses(400, 403, 409, 413, 422),
)
def register(body: RegisterRequest, db: DbDep, passwords: PasswordsDep, now: NowDep) -> User:
    try:
        return accounts.register(db, passwords, now, username=body.username, password=body.password)
    except accounts.AlreadyRegistered:
        raise HTTPException(409, "That username is already registered.") from None


@router.post(
    "/login",
    operation_id="login",
    response_model=SessionOut,
    responses=problem_responses(400, 401, 403, 413, 422),
)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    db: DbDep,
    passwords: PasswordsDep,
    lifetimes: LifetimesDep,
    now: NowDep,
) -> SessionOut:
    user = accounts.authenticate(db, passwords, body.username, body.password)
    if user is None:
        raise HTTPException(401, BAD_CREDENTIALS, {"WWW-Authenticate": CHALLENGE})
    # Whatever session id came with this request is ended, and a new one issued: an id
    # planted in the browser beforehand never becomes a signed-in session.
    issued = sessions.start(
        db, user.id, now, lifetimes, replacing=request.cookies.get(SESSION_COOKIE)
    )
    set_session_cookie(response, issued, now)
    return session_out(db, issued.row)


@router.get(
    "/session",
    operation_id="getSession",
    response_model=SessionOut,
    responses=problem_responses(401),
)
def read_session(row: ReaderDep, db: DbDep, response: Response) -> SessionOut:
    """Who is signed in, and the CSRF token again (a reloaded page asks here)."""
    response.headers["Cache-Control"] = "no-store"
    return session_out(db, row)


@router.post(
    "/logout",
    operation_id="logout",
    status_code=204,
    responses=problem_responses(401, 403, 422),
)
def logout(row: WriterDep, db: DbDep) -> Response:
    # Deleting the row is what ends the session; expiring the cookie only tidies the browser.
    sessions.end(db, row)
    return Response(status_code=204, headers={"Set-Cookie": expired_cookie()})


@router.post(
    "/logout-everywhere",
    operation_id="logoutEverywhere",
    status_code=204,
    responses=problem_responses(401, 403, 422),
)
def logout_everywhere(row: WriterDep, db: DbDep) -> Response:
    sessions.end_all(db, row.user_id)
    return Response(status_code=204, headers={"Set-Cookie": expired_cookie()})


@router.post(
    "/password",
    operation_id="changePassword",
    response_model=SessionOut,
    responses=problem_responses(400, 401, 403, 413, 422),
)
def change_password(
    body: PasswordChange,
    row: WriterDep,
    response: Response,
    db: DbDep,
    passwords: PasswordsDep,
    lifetimes: LifetimesDep,
    now: NowDep,
) -> SessionOut:
    user = db.get(User, row.user_id)
    assert user is not None
    # A stolen session alone must not be enough to take the account over.
    if not passwords.verify(user.password_hash, body.current_password).ok:
        raise HTTPException(403, "The current password is wrong.")
    accounts.change_password(db, passwords, user, body.new_password)
    # A privilege change: every session (including whoever else holds one) ends, and this
    # browser gets a new id and a new CSRF token.
    sessions.end_all(db, user.id)
    issued = sessions.start(db, user.id, now, lifetimes, replacing=None)
    set_session_cookie(response, issued, now)
    return session_out(db, issued.row)


@router.post(
    "/notes",
    operation_id="createNote",
    status_code=201,
    response_model=NoteOut,
    responses=problem_responses(400, 401, 403, 413, 422),
)
def create_note(body: NoteCreate, row: WriterDep, db: DbDep, now: NowDep) -> Note:
    return notes.create(db, row.user_id, body.title, body.body, now)


@router.get(
    "/notes",
    operation_id="listNotes",
    response_model=NotePage,
    responses=problem_responses(400, 401, 422),
)
def list_notes(
    row: ReaderDep,
    db: DbDep,
    limit: pagination.LimitQuery = pagination.DEFAULT_LIMIT,
    cursor: pagination.CursorQuery = None,
    contains: Annotated[str | None, Query(max_length=200)] = None,
) -> NotePage:
    try:
        after_id = pagination.decode(cursor) if cursor is not None else None
    except pagination.InvalidCursor:
        raise HTTPException(400, "The cursor is not one this API issued.") from None
    # One row more than asked: it only tells whether another page exists.
    rows = notes.search(db, row.user_id, contains, after_id=after_id, limit=limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    return NotePage.model_validate(
        {
            "data": rows,
            "pagination": {
                "next_cursor": pagination.encode(rows[-1].id) if has_more else None,
                "has_more": has_more,
            },
        },
        from_attributes=True,
    )


@router.get(
    "/notes/{note_id}",
    operation_id="getNote",
    response_model=NoteOut,
    responses=problem_responses(401, 404, 422),
)
def read_note(note_id: NoteIdPath, row: ReaderDep, db: DbDep) -> Note:
    return own_note(db, row, note_id)


@router.patch(
    "/notes/{note_id}",
    operation_id="updateNote",
    response_model=NoteOut,
    responses=problem_responses(400, 401, 403, 404, 413, 422),
)
def update_note(
    note_id: NoteIdPath, body: NoteUpdate, row: WriterDep, db: DbDep, now: NowDep
) -> Note:
    note = own_note(db, row, note_id)
    return notes.update(db, note, body.model_dump(exclude_none=True), now)


@router.delete(
    "/notes/{note_id}",
    operation_id="deleteNote",
    status_code=204,
    responses=problem_responses(401, 403, 404, 422),
)
def delete_note(note_id: NoteIdPath, row: WriterDep, db: DbDep) -> Response:
    notes.delete(db, own_note(db, row, note_id))
    return Response(status_code=204)
