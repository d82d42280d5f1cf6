"""The HTTP API: login, refresh, logout, JWKS, your sessions and your notes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    Security,
)
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import notes, refresh_tokens
from .access_tokens import AccessClaims, AccessTokens, InvalidToken, SigningKeys
from .body_limit import BodySizeLimitMiddleware
from .db import Base, LoginSession, Note, User, make_engine, make_session_factory
from .pagination import CursorCodec, InvalidCursor, PageRequest, listing_key, page_of, page_request
from .passwords import Passwords
from .problems import install_problem_handlers, problem_responses
from .refresh_tokens import Lifetimes, RefreshRejected
from .schemas import (
    LoginRequest,
    NoteCreate,
    NoteOut,
    NotePage,
    NoteUpdate,
    RefreshRequest,
    RegisterRequest,
    SessionOut,
    SessionPage,
    TokenPair,
    UserOut,
)
from .settings import Settings
from .throttle import LoginThrottle

REALM = "token-auth"
# One message for a busy address and a locked account, known or not; Retry-After says when.
TOO_MANY_ATTEMPTS = "Too many login attempts; try again later."
logger = logging.getLogger(__name__)

bearer = HTTPBearer(
    auto_error=False, description="An access token from /auth/login or /auth/refresh."
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
        title="token-auth",
        version="1.0.0",
        summary="Ed25519 access JWTs with a JWKS and rotating refresh tokens with reuse detection.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.passwords = Passwords(settings.argon2_memory_kib, settings.argon2_time_cost)
    # Generated per process: nothing to leak from the repository. A restart invalidates the
    # access tokens (minutes of life); refresh tokens live in the database and survive it.
    app.state.access_tokens = AccessTokens(
        SigningKeys(),
        issuer=settings.issuer,
        audience=settings.audience,
        ttl_seconds=settings.access_token_ttl_seconds,
        leeway_seconds=settings.leeway_seconds,
        clock=settings.clock,
    )
    app.state.lifetimes = Lifetimes(
        idle_seconds=settings.refresh_idle_ttl_seconds,
        absolute_seconds=settings.refresh_absolute_ttl_seconds,
    )
    app.state.cursors = CursorCodec()
    app.state.throttle = LoginThrottle(
        settings.login_limits_per_address, settings.rate_limit_storage_uri, settings.login_backoff
    )
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.include_router(router)
    return app


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.session_factory() as session:
        yield session


def get_access_tokens(request: Request) -> AccessTokens:
    return request.app.state.access_tokens


def get_now(request: Request) -> int:
    return int(request.app.state.settings.clock())


SessionDep = Annotated[Session, Depends(get_session)]
AccessTokensDep = Annotated[AccessTokens, Depends(get_access_tokens)]
NowDep = Annotated[int, Depends(get_now)]
PageDep = Annotated[PageRequest, Depends(page_request)]


def get_cursors(request: Request) -> CursorCodec:
    return request.app.state.cursors


CursorsDep = Annotated[CursorCodec, Depends(get_cursors)]


def cursor_position(
    cursors: CursorCodec, paging: PageRequest, listing: str, types: tuple[type, ...]
) -> tuple[Any, ...] | None:
    """Where the page starts: None for the first page; a bad cursor is the client's 400."""
    if paging.cursor is None:
        return None
    try:
        return cursors.decode(paging.cursor, listing, types)
    except InvalidCursor as error:
        logger.info("cursor refused: %s", error)
        raise HTTPException(
            400, "The cursor is malformed, was tampered with or belongs to another listing."
        ) from None


def unauthorized(detail: str, *, invalid_token: bool) -> HTTPException:
    challenge = f'Bearer realm="{REALM}"' + (', error="invalid_token"' if invalid_token else "")
    return HTTPException(401, detail, {"WWW-Authenticate": challenge})


def current_claims(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    access_tokens: AccessTokensDep,
) -> AccessClaims:
    if credentials is None:
        raise unauthorized("A bearer token is required.", invalid_token=False)
    try:
        return access_tokens.verify(credentials.credentials)
    except InvalidToken as error:
        logger.info("access token refused: %s", error)
        raise unauthorized("The access token is invalid or expired.", invalid_token=True) from None


ClaimsDep = Annotated[AccessClaims, Depends(current_claims)]


def too_many_attempts(retry_after: int) -> HTTPException:
    return HTTPException(429, TOO_MANY_ATTEMPTS, {"Retry-After": str(retry_after)})


def throttled_responses() -> dict[int | str, dict[str, Any]]:
    """problem_responses(429) plus the Retry-After header every 429 here carries."""
    responses = problem_responses(429)
    responses[429]["headers"] = {
        "Retry-After": {
            "description": "Seconds to wait before the next attempt.",
            "schema": {"type": "integer", "minimum": 1},
        }
    }
    return responses


def token_pair(request: Request, response: Response, issued: refresh_tokens.Issued, now: int):
    access_tokens: AccessTokens = request.app.state.access_tokens
    # RFC 6749 section 5.1: a response that carries tokens must not be cached.
    response.headers["Cache-Control"] = "no-store"
    return TokenPair(
        access_token=access_tokens.issue(issued.user_id, issued.session_id),
        expires_in=access_tokens.ttl_seconds,
        refresh_token=issued.token,
        refresh_token_expires_in=issued.expires_at - now,
    )


@router.post(
    "/users",
    operation_id="createUser",
    status_code=201,
    response_model=UserOut,
    responses=problem_responses(400, 409, 413, 422),
)
def register(body: RegisterRequest, request: Request, session: SessionDep, now: NowDep) -> User:
    user = User(
        username=body.username,
        password_hash=request.app.state.passwords.hash(body.password),
        created_at=now,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        raise HTTPException(409, "That username is already registered.") from None
    return user


@router.post(
    "/auth/login",
    operation_id="login",
    response_model=TokenPair,
    responses={**problem_responses(400, 401, 413, 422), **throttled_responses()},
)
def login(
    body: LoginRequest, request: Request, response: Response, session: SessionDep, now: NowDep
) -> TokenPair:
    passwords: Passwords = request.app.state.passwords
    throttle: LoginThrottle = request.app.state.throttle
    # The ASGI scope's client: the peer, or, behind a proxy, the address the server took from
    # X-Forwarded-For because the peer is a trusted proxy (uvicorn --forwarded-allow-ips).
    address = request.client.host if request.client else "unknown"
    # Both checks come before the password is verified: a refused attempt costs no argon2
    # run, and the right password gets the same 429 as a wrong one while the lock lasts.
    wait = throttle.address_wait(address) or throttle.claim_attempt(session, body.username, now)
    if wait is not None:
        raise too_many_attempts(wait)
    user = session.scalar(select(User).where(User.username == body.username))
    if not passwords.verify(user.password_hash if user else None, body.password) or user is None:
        # Already counted by claim_attempt: a failure needs no further write, so a wrong
        # password for a real account and any password for a made-up one do the same work.
        raise unauthorized("Invalid username or password.", invalid_token=False)
    throttle.succeeded(session, user.username)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(body.password)  # committed with the new session
    issued = refresh_tokens.start_family(session, user.id, now, request.app.state.lifetimes)
    return token_pair(request, response, issued, now)


@router.post(
    "/auth/refresh",
    operation_id="refreshTokens",
    response_model=TokenPair,
    responses=problem_responses(400, 401, 413, 422),
)
def refresh(
    body: RefreshRequest, request: Request, response: Response, session: SessionDep, now: NowDep
) -> TokenPair:
    try:
        issued = refresh_tokens.rotate(
            session, body.refresh_token, now, request.app.state.lifetimes
        )
    except RefreshRejected as rejected:
        # "reuse" in this log line is a security event worth an alert.
        logger.warning("refresh refused: %s", rejected.reason)
        raise unauthorized(
            "The refresh token is invalid, expired or revoked; log in again.", invalid_token=True
        ) from None
    return token_pair(request, response, issued, now)


@router.post(
    "/auth/logout",
    operation_id="logout",
    status_code=204,
    responses=problem_responses(400, 413, 422),
)
def logout(body: RefreshRequest, session: SessionDep, now: NowDep) -> None:
    refresh_tokens.revoke_by_token(session, body.refresh_token, now)


@router.get("/.well-known/jwks.json", operation_id="getJwks")
def jwks(request: Request, response: Response) -> dict[str, Any]:
    # Verifiers cache this; a short max-age lets a rotated key reach them within minutes.
    response.headers["Cache-Control"] = "public, max-age=300"
    return request.app.state.access_tokens.keys.jwks()


@router.get(
    "/sessions",
    operation_id="listSessions",
    response_model=SessionPage,
    responses=problem_responses(400, 401, 422),
)
def list_sessions(
    claims: ClaimsDep, session: SessionDep, now: NowDep, paging: PageDep, cursors: CursorsDep
) -> SessionPage:
    listing = listing_key("sessions", claims.user_id)
    after = cursor_position(cursors, paging, listing, (int, str))
    families = refresh_tokens.active_sessions(
        session, claims.user_id, now, after=after, limit=paging.limit + 1
    )

    def position(family: LoginSession) -> tuple[int, str]:
        return family.created_at, family.id

    page = page_of(families, paging.limit, position=position, codec=cursors, listing=listing)
    data = [
        SessionOut(
            id=family.id,
            created_at=family.created_at,
            last_used_at=family.last_used_at,
            expires_at=family.expires_at,
            current=family.id == claims.session_id,
        )
        for family in page.rows
    ]
    return SessionPage.model_validate({"data": data, "pagination": page.pagination()})


SessionIdPath = Annotated[str, Path(max_length=64)]


@router.delete(
    "/sessions/{session_id}",
    operation_id="revokeSession",
    status_code=204,
    responses=problem_responses(401, 404, 422),
)
def revoke_session(
    session_id: SessionIdPath, claims: ClaimsDep, session: SessionDep, now: NowDep
) -> None:
    if not refresh_tokens.revoke_session(session, claims.user_id, session_id, now):
        raise HTTPException(404, "No such session.")


NoteIdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]


def own_note(session: Session, claims: AccessClaims, note_id: int) -> Note:
    note = notes.get(session, claims.user_id, note_id)
    if note is None:
        # Another user's note is "not found", exactly like one that never existed.
        raise HTTPException(404, "No such note.")
    return note


@router.post(
    "/notes",
    operation_id="createNote",
    status_code=201,
    response_model=NoteOut,
    responses=problem_responses(400, 401, 413, 422),
)
def create_note(body: NoteCreate, claims: ClaimsDep, session: SessionDep, now: NowDep) -> Note:
    return notes.create(session, claims.user_id, body.title, body.body, now)


@router.get(
    "/notes",
    operation_id="listNotes",
    response_model=NotePage,
    responses=problem_responses(400, 401, 422),
)
def list_notes(
    claims: ClaimsDep,
    session: SessionDep,
    paging: PageDep,
    cursors: CursorsDep,
    contains: Annotated[str | None, Query(max_length=200)] = None,
) -> NotePage:
    # The filter is part of the listing: a cursor from `?contains=a` does not fit `?contains=b`.
    listing = listing_key("notes", claims.user_id, contains=contains or None)
    after = cursor_position(cursors, paging, listing, (int,))
    rows = notes.search(
        session,
        claims.user_id,
        contains,
        after_id=after[0] if after else None,
        limit=paging.limit + 1,
    )

    def position(note: Note) -> tuple[int]:
        return (note.id,)

    page = page_of(rows, paging.limit, position=position, codec=cursors, listing=listing)
    return NotePage.model_validate(
        {"data": page.rows, "pagination": page.pagination()}, from_attributes=True
    )


@router.get(
    "/notes/{note_id}",
    operation_id="getNote",
    response_model=NoteOut,
    responses=problem_responses(401, 404, 422),
)
def read_note(note_id: NoteIdPath, claims: ClaimsDep, session: SessionDep) -> Note:
    return own_note(session, claims, note_id)


@router.patch(
    "/notes/{note_id}",
    operation_id="updateNote",
    response_model=NoteOut,
    responses=problem_responses(400, 401, 404, 413, 422),
)
def update_note(
    note_id: NoteIdPath, body: NoteUpdate, claims: ClaimsDep, session: SessionDep, now: NowDep
) -> Note:
    note = own_note(session, claims, note_id)
    return notes.update(session, note, body.model_dump(exclude_unset=True), now)


@router.delete(
    "/notes/{note_id}",
    operation_id="deleteNote",
    status_code=204,
    responses=problem_responses(401, 404, 422),
)
def delete_note(note_id: NoteIdPath, claims: ClaimsDep, session: SessionDep) -> None:
    notes.delete(session, own_note(session, claims, note_id))
