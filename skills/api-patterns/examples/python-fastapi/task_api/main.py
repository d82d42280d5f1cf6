"""``create_app``: builds the whole service from ``Settings``; one call per test or process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from task_api.body_limit import BodySizeLimitMiddleware
from task_api.db import Base, make_engine, make_session_factory
from task_api.dependencies import Services
from task_api.login_throttle import LoginThrottle
from task_api.middleware import RateLimitHeadersMiddleware
from task_api.openapi import install_openapi
from task_api.pagination import CursorCodec
from task_api.problems import install_problem_handlers
from task_api.rate_limit import RateLimit
from task_api.routes import auth, projects, tasks, tasks_v2
from task_api.security import PasswordCheck, TokenService, make_password_hasher
from task_api.settings import Settings

API_VERSION = "1.1.0"


def build_services(settings: Settings) -> Services:
    engine = make_engine(settings.database_url)
    # Tables are created here, not in the lifespan: an app driven through
    # httpx.ASGITransport (which runs no lifespan) works the same. A service with
    # history uses Alembic migrations instead (see the databases-relational skill).
    Base.metadata.create_all(engine)
    return Services(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        passwords=PasswordCheck(make_password_hasher(settings.password_profile)),
        tokens=TokenService(
            settings.token_issuer, settings.token_audience, settings.access_token_seconds
        ),
        cursors=CursorCodec(),
        api_limit=RateLimit(settings.rate_limit, "per-user"),
        auth_limit=RateLimit(settings.auth_rate_limit, "per-ip"),
        login_throttle=LoginThrottle(
            settings.login_free_failures,
            settings.login_backoff_seconds,
            settings.login_max_backoff_seconds,
        ),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    services = build_services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        services.engine.dispose()

    app = FastAPI(title="Task API", version=API_VERSION, lifespan=lifespan)
    app.state.services = services
    install_problem_handlers(app)
    for module in (auth, projects, tasks, tasks_v2):
        app.include_router(module.router)
    # Added last = outermost: the body limit sees the request before anything else.
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    install_openapi(app)
    return app
