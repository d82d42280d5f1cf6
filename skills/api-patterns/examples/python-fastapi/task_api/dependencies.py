"""The app's services and the FastAPI dependencies every route shares."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from task_api.login_throttle import LoginThrottle
from task_api.middleware import RATE_LIMIT_HEADERS_KEY
from task_api.models import User
from task_api.pagination import CursorCodec
from task_api.problems import ProblemError
from task_api.rate_limit import RateLimit
from task_api.security import InvalidToken, PasswordCheck, TokenService
from task_api.settings import Settings

# SQLite (and PostgreSQL bigint) ids end here; a larger number in a URL is a 422, not
# an OverflowError deep in the driver.
MAX_ID = 2**63 - 1
REALM = "task-api"


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    passwords: PasswordCheck
    tokens: TokenService
    cursors: CursorCodec
    api_limit: RateLimit
    auth_limit: RateLimit
    login_throttle: LoginThrottle


async def get_services(request: Request) -> Services:
    # async: no I/O here, and a plain def would cost a thread-pool hop per request.
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with services.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

# Declares bearer tokens (type http, scheme bearer) in OpenAPI: tokens come from this
# API's own POST /v1/login, not from an OAuth flow. auto_error=False because a missing
# token must produce our problem details, not FastAPI's default body.
bearer_token = HTTPBearer(
    scheme_name="bearerAuth",
    bearerFormat="JWT",
    description="An access token from POST /v1/login: Authorization: Bearer <token>",
    auto_error=False,
)


def _unauthorized(detail: str, error: str | None = None) -> ProblemError:
    challenge = f'Bearer realm="{REALM}"'
    if error:
        # RFC 6750 section 3: say why, so a client knows to log in again.
        challenge += f', error="{error}"'
    return ProblemError(
        401,
        detail,
        type_="unauthorized",
        title="Authentication required",
        headers={"WWW-Authenticate": challenge},
    )


def current_user(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_token)],
) -> User:
    if credentials is None or not credentials.credentials:
        raise _unauthorized("Send an access token: Authorization: Bearer <token>.")
    try:
        subject = services.tokens.verify(credentials.credentials)
    except InvalidToken as exc:
        raise _unauthorized(str(exc), "invalid_token") from None
    user = session.get(User, int(subject)) if subject.isdigit() else None
    if user is None:
        raise _unauthorized("The token's user no longer exists.", "invalid_token")
    # Limited per user after authentication: one noisy client cannot starve the others,
    # and users behind one NAT address do not share a budget.
    request.state[RATE_LIMIT_HEADERS_KEY] = services.api_limit.hit(f"user:{user.id}")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def client_network(request: Request) -> str:
    """The key a per-address limit counts: the IPv4 address, or the IPv6 /64.

    ``request.client`` is the TCP peer. Behind a reverse proxy that is the proxy, so
    uvicorn must be told which proxies to believe (``--proxy-headers
    --forwarded-allow-ips=<proxy IPs>``): it then takes the client from
    X-Forwarded-For, only when a trusted proxy sent it.
    """
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        # One IPv6 host is usually given a whole /64: per address, it could rotate
        # through 2**64 budgets.
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def auth_rate_limit(request: Request, services: ServicesDep) -> None:
    """Per client address, for the endpoints that check or set passwords."""
    key = f"ip:{client_network(request)}"
    request.state[RATE_LIMIT_HEADERS_KEY] = services.auth_limit.hit(key)


def resource_id(description: str) -> object:
    return Path(ge=1, le=MAX_ID, description=description)


TaskId = Annotated[int, resource_id("Task id")]
ProjectId = Annotated[int, resource_id("Project id")]
