"""Sign-up, login (OAuth 2.0 password grant, RFC 6749 4.3) and "who am I".

The token endpoint reads its ``application/x-www-form-urlencoded`` body itself with the
standard library rather than through FastAPI's ``Form`` (which needs python-multipart);
the OpenAPI request body is declared by hand to match. Its errors are problem details
that also carry RFC 6749's ``error`` code, so OAuth client libraries understand them.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from task_api.accounts import UsernameTaken, authenticate, create_user
from task_api.dependencies import CurrentUser, ServicesDep, SessionDep, auth_rate_limit
from task_api.problems import (
    BAD_REQUEST,
    CONFLICT,
    INVALID,
    TOO_LARGE,
    UNAUTHORIZED,
    UNSUPPORTED_MEDIA_TYPE,
    ProblemError,
    error_responses,
)
from task_api.schemas import TokenOut, UserCreate, UserOut

router = APIRouter(prefix="/v1", tags=["auth"])

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
TOKEN_REQUEST_BODY = {
    "required": True,
    "content": {
        FORM_MEDIA_TYPE: {
            "schema": {
                "type": "object",
                "required": ["grant_type", "username", "password"],
                "properties": {
                    "grant_type": {"type": "string", "enum": ["password"]},
                    "username": {"type": "string", "maxLength": 32},
                    "password": {"type": "string", "maxLength": 128},
                    "scope": {"type": "string", "maxLength": 200},
                },
            }
        }
    },
}


def _oauth_error(status: int, error: str, detail: str) -> ProblemError:
    return ProblemError(status, detail, type_=f"oauth-{error.replace('_', '-')}", error=error)


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


def _read_token_form(raw: bytes, content_type: str) -> dict[str, str]:
    if content_type.split(";")[0].strip().lower() != FORM_MEDIA_TYPE:
        raise _oauth_error(415, "invalid_request", f"Send the form as {FORM_MEDIA_TYPE}.")
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        raise _oauth_error(400, "invalid_request", "The form is not valid UTF-8.") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            # RFC 6749 3.2: request parameters must not be included more than once.
            raise _oauth_error(400, "invalid_request", f"Parameter {name!r} is repeated.")
        form[name] = value
    return form


@router.post(
    "/token",
    operation_id="issueToken",
    summary="Log in: exchange username and password for an access token",
    dependencies=[Depends(auth_rate_limit)],
    responses=error_responses(BAD_REQUEST, TOO_LARGE, UNSUPPORTED_MEDIA_TYPE),
    openapi_extra={"requestBody": TOKEN_REQUEST_BODY},
)
async def issue_token(request: Request, services: ServicesDep, response: Response) -> TokenOut:
    form = _read_token_form(await request.body(), request.headers.get("content-type", ""))
    if form.get("grant_type") != "password":
        raise _oauth_error(400, "unsupported_grant_type", "Only grant_type=password is supported.")
    username, password = form.get("username"), form.get("password")
    if not username or not password:
        raise _oauth_error(400, "invalid_request", "Send username and password.")

    def check() -> int | None:
        with services.sessions() as session:
            user = authenticate(session, services.passwords, username[:64], password[:256])
            return user.id if user else None

    # argon2 is deliberately slow (about 0.1 s): off the event loop.
    user_id = await run_in_threadpool(check)
    if user_id is None:
        raise _oauth_error(400, "invalid_grant", "The username or password is wrong.")
    issued = services.tokens.issue(str(user_id))
    # RFC 6749 5.1: token responses must not be cached.
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
