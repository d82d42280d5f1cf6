"""The HTTP API: register, log in, read and change your own profile."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from . import accounts
from .body_limit import BodySizeLimitMiddleware
from .db import Base, User, make_engine, make_session_factory
from .passwords import PasswordService, make_hasher
from .problems import install_problem_handlers, problem_responses
from .schemas import LoginRequest, ProfileUpdate, RegisterRequest, TokenOut, UserOut
from .settings import Settings
from .throttle import LoginThrottle
from .tokens import AccessTokens, InvalidToken

REALM = "password-login"
# One message for an unknown user and for a wrong password: which of the two it was is
# exactly what an attacker enumerating accounts wants to learn.
BAD_CREDENTIALS = "Invalid username or password."
# One message for a busy address and a locked account, known or not; Retry-After says when.
TOO_MANY_ATTEMPTS = "Too many login attempts; try again later."

bearer = HTTPBearer(auto_error=False, description="An access token from POST /login.")
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
        title="password-login",
        version="1.0.0",
        summary="Registration and login with argon2id password hashes and short-lived JWTs.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.passwords = PasswordService(make_hasher(settings.argon2), settings.hashing_slots)
    app.state.tokens = AccessTokens(
        settings.signing_key,
        issuer=settings.issuer,
        audience=settings.audience,
        ttl_seconds=settings.access_token_ttl_seconds,
        leeway_seconds=settings.leeway_seconds,
        clock=settings.clock,
    )
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


def get_passwords(request: Request) -> PasswordService:
    return request.app.state.passwords


def get_tokens(request: Request) -> AccessTokens:
    return request.app.state.tokens


def get_throttle(request: Request) -> LoginThrottle:
    return request.app.state.throttle


def get_now(request: Request) -> int:
    return int(request.app.state.settings.clock())


SessionDep = Annotated[Session, Depends(get_session)]
PasswordsDep = Annotated[PasswordService, Depends(get_passwords)]
TokensDep = Annotated[AccessTokens, Depends(get_tokens)]
NowDep = Annotated[int, Depends(get_now)]
ThrottleDep = Annotated[LoginThrottle, Depends(get_throttle)]


def too_many_attempts(retry_after: int) -> HTTPException:
    return HTTPException(429, TOO_MANY_ATTEMPTS, {"Retry-After": str(retry_after)})


def throttled_responses() -> dict[int | str, dict]:
    """problem_responses(429) plus the Retry-After header every 429 here carries."""
    responses = problem_responses(429)
    responses[429]["headers"] = {
        "Retry-After": {
            "description": "Seconds to wait before the next attempt.",
            "schema": {"type": "integer", "minimum": 1},
        }
    }
    return responses


def current_username(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    tokens: TokensDep,
) -> str:
    if credentials is None:
        raise HTTPException(
            401, "A bearer token is required.", {"WWW-Authenticate": f'Bearer realm="{REALM}"'}
        )
    try:
        return tokens.verify(credentials.credentials)
    except InvalidToken:
        # Expired, forged, wrong algorithm, wrong audience: the client learns only that it
        # must log in again (the RFC 6750 error code), not which check failed.
        raise HTTPException(
            401,
            "The access token is invalid or expired.",
            {"WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_token"'},
        ) from None


CallerDep = Annotated[str, Depends(current_username)]
UsernamePath = Annotated[str, Path(max_length=64)]


def own_user(session: Session, caller: str, username: str) -> User:
    # Someone else's profile is a 404, the same as a name nobody has: a 403 would confirm
    # that the account exists.
    user = accounts.find_user(session, username) if username == caller else None
    if user is None:
        raise HTTPException(404, "No such user.")
    return user


@router.post(
    "/users",
    operation_id="createUser",
    status_code=201,
    response_model=UserOut,
    responses=problem_responses(400, 409, 413, 422),
)
def register(
    body: RegisterRequest, session: SessionDep, passwords: PasswordsDep, now: NowDep
) -> User:
    try:
        return accounts.register(
            session,
            passwords,
            now,
            username=body.username,
            email=body.email,
            password=body.password,
            display_name=body.display_name,
        )
    except accounts.AlreadyRegistered:
        raise HTTPException(409, "That username or email is already registered.") from None


@router.post(
    "/login",
    operation_id="login",
    response_model=TokenOut,
    responses={**problem_responses(400, 401, 413, 422), **throttled_responses()},
)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    passwords: PasswordsDep,
    tokens: TokensDep,
    throttle: ThrottleDep,
    now: NowDep,
) -> TokenOut:
    # The ASGI scope's client: the peer, or, behind a proxy, the address the server took from
    # X-Forwarded-For because the peer is a trusted proxy (uvicorn --forwarded-allow-ips).
    address = request.client.host if request.client else "unknown"
    # Both checks come before the password is verified: a refused attempt costs no argon2
    # run, and the right password gets the same 429 as a wrong one while the lock lasts.
    wait = throttle.address_wait(address) or throttle.claim_attempt(session, body.username, now)
    if wait is not None:
        raise too_many_attempts(wait)
    user = accounts.authenticate(session, passwords, now, body.username, body.password)
    if user is None:
        # Already counted by claim_attempt: a failure needs no further write, so a wrong
        # password for a real account and any password for a made-up one do the same work.
        raise HTTPException(401, BAD_CREDENTIALS, {"WWW-Authenticate": f'Bearer realm="{REALM}"'})
    throttle.succeeded(session, user.username)
    # RFC 6749 section 5.1: a response that carries a token must not be cached.
    response.headers["Cache-Control"] = "no-store"
    return TokenOut(access_token=tokens.issue(user.username), expires_in=tokens.ttl_seconds)


@router.get(
    "/users/{username}",
    operation_id="getProfile",
    response_model=UserOut,
    responses=problem_responses(401, 404, 422),
)
def read_profile(username: UsernamePath, caller: CallerDep, session: SessionDep) -> User:
    return own_user(session, caller, username)


@router.patch(
    "/users/{username}",
    operation_id="updateProfile",
    response_model=UserOut,
    responses=problem_responses(400, 401, 404, 409, 413, 422),
)
def update_profile(
    username: UsernamePath,
    body: ProfileUpdate,
    caller: CallerDep,
    session: SessionDep,
    now: NowDep,
) -> User:
    user = own_user(session, caller, username)
    try:
        return accounts.update_profile(session, user, now, body.model_dump(exclude_unset=True))
    except accounts.AlreadyRegistered:
        raise HTTPException(409, "That email is already registered.") from None
