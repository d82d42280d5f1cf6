"""Sign-up, login and "who am I".

``POST /v1/login`` is this API's own (first-party) login: its own front end sends the
username and password the user typed, as JSON, and gets an access token back. It is not
OAuth and does not pretend to be: OAuth 2.1 removed the password grant, because a
client that sees the user's password defeats single sign-on, MFA and phishing
resistance. When other applications call this API on a user's behalf, issue tokens
through the authorization code flow with PKCE instead: see the auth-security skill's
``examples/oauth2-pkce`` and ``references/oauth2-oidc.md``.

Login is throttled twice: per client address (``auth_rate_limit``, a moving window on
every attempt) and per username (``LoginThrottle``: exponential backoff after repeated
failures). Both answer the same whether or not the username exists.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from starlette.concurrency import run_in_threadpool

from task_api.accounts import UsernameTaken, authenticate, create_user
from task_api.dependencies import REALM, CurrentUser, ServicesDep, SessionDep, auth_rate_limit
from task_api.login_throttle import LoginLocked
from task_api.problems import (
    CONFLICT,
    INVALID,
    TOO_LARGE,
    UNAUTHORIZED,
    Problem,
    ProblemError,
    error_responses,
)
from task_api.schemas import LoginIn, TokenOut, UserCreate, UserOut

router = APIRouter(prefix="/v1", tags=["auth"])

WRONG_CREDENTIALS = "The username or password is wrong."
WRONG_CREDENTIALS_RESPONSE: dict[int, dict[str, Any]] = {
    401: {
        "model": Problem,
        "description": "Wrong username or password (the same answer for an unknown username)",
        "headers": {
            "WWW-Authenticate": {"description": "Bearer challenge", "schema": {"type": "string"}}
        },
    }
}


@router.post(
    "/users",
    operation_id="createUser",
    summary="Sign up",
    status_code=201,
    dependencies=[Depends(auth_rate_limit)],
    responses=error_responses(CONFLICT, TOO_LARGE, INVALID),
)
def create_user_route(
    body: UserCreate, services: ServicesDep, session: SessionDep, response: Response
) -> UserOut:
    try:
        user = create_user(session, services.passwords, body.username, body.password)
    except UsernameTaken:
        raise ProblemError(409, "That username is taken.", type_="username-taken") from None
    response.headers["Location"] = "/v1/me"
    return UserOut(id=user.id, username=user.username, created_at=user.created_at)


@router.post(
    "/login",
    operation_id="logIn",
    summary="Log in: exchange username and password for an access token",
    dependencies=[Depends(auth_rate_limit)],
    responses=error_responses(WRONG_CREDENTIALS_RESPONSE, TOO_LARGE, INVALID),
)
async def log_in(body: LoginIn, services: ServicesDep, response: Response) -> TokenOut:
    """This API's own login, for its own front end; not OAuth (OAuth 2.1 has no password
    grant). Applications acting for a user get tokens through the authorization code flow
    with PKCE: see the auth-security skill, examples/oauth2-pkce.

    Wrong credentials are a 401, the same for an unknown username. Throttled per client
    address and, after repeated failures, per username (429 with Retry-After)."""
    throttle = services.login_throttle
    try:
        throttle.begin(body.username)
    except LoginLocked as locked:
        raise ProblemError(
            429,
            f"Too many failed logins for this username; retry in {locked.retry_after} s.",
            type_="login-throttled",
            title="Too many failed logins",
            headers={"Retry-After": str(locked.retry_after)},
        ) from None

    def check() -> int | None:
        with services.sessions() as session:
            user = authenticate(session, services.passwords, body.username, body.password)
            return user.id if user else None

    # argon2 is deliberately slow (about 0.1 s): off the event loop.
    user_id = await run_in_threadpool(check)
    if user_id is None:
        raise ProblemError(
            401,
            WRONG_CREDENTIALS,
            type_="wrong-credentials",
            title="Login failed",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )
    throttle.succeeded(body.username)
    issued = services.tokens.issue(str(user_id))
    # Like RFC 6749 5.1 token responses: a token must not be cached.
    response.headers["Cache-Control"] = "no-store"
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)


@router.get(
    "/me",
    operation_id="getCurrentUser",
    summary="The user the access token belongs to",
    responses=error_responses(UNAUTHORIZED),
)
def get_current_user(user: CurrentUser, response: Response) -> UserOut:
    response.headers["Cache-Control"] = "private, no-store"
    return UserOut(id=user.id, username=user.username, created_at=user.created_at)
