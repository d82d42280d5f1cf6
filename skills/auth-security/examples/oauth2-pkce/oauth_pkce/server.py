"""The FastAPI app: authorization server endpoints, discovery, JWKS, and the resource API."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import InsecureTransportError
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from .accounts import authenticate, create_user
from .authorization import (
    AdaptedRequest,
    AuthorizationRejected,
    NotesAuthorizationServer,
    OAuthResponse,
)
from .body_limit import BodySizeLimitMiddleware
from .db import Base, User, make_engine, make_session_factory
from .error_docs import OAUTH_ERROR, SIGN_IN_FAILED
from .keys import SIGNING_ALG, load_or_create_signing_key, public_jwks
from .pagination import CursorCodec
from .problems import (
    TOO_LARGE,
    error_responses,
    install_problem_handlers,
    install_problem_openapi,
    problem_response,
)
from .resource_api import build_resource_router
from .settings import Settings

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"

# The login page must not be framed by another site (clickjacking of the consent button).
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}

AUTHORIZE_PARAMETERS = [
    {"name": name, "in": "query", "required": required, "schema": {"type": "string"}}
    for name, required in [
        ("response_type", True),
        ("client_id", True),
        ("redirect_uri", True),
        ("scope", True),
        ("state", True),
        ("nonce", True),
        ("code_challenge", True),
        ("code_challenge_method", True),
    ]
]
LOGIN_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            FORM_MEDIA_TYPE: {
                "schema": {
                    "type": "object",
                    "required": ["username", "password", "decision"],
                    "properties": {
                        "username": {"type": "string"},
                        "password": {"type": "string", "format": "password"},
                        "decision": {"type": "string", "enum": ["approve", "deny"]},
                    },
                }
            }
        },
    }
}
TOKEN_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            FORM_MEDIA_TYPE: {
                "schema": {
                    "type": "object",
                    "required": [
                        "grant_type",
                        "code",
                        "redirect_uri",
                        "client_id",
                        "code_verifier",
                    ],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["authorization_code"]},
                        "code": {"type": "string"},
                        "redirect_uri": {"type": "string"},
                        "client_id": {"type": "string"},
                        "code_verifier": {"type": "string"},
                    },
                }
            }
        },
    }
}


def to_http(result: OAuthResponse, request: Request) -> Response:
    """Authlib's (status, body, headers) as a FastAPI response; errors as problem details.

    OAuth clients look for ``error`` and ``error_description`` (RFC 6749 5.2), so they stay
    as extension members of the problem object.
    """
    headers = dict(result.headers)
    if 300 <= result.status < 400:
        return Response(status_code=result.status, headers=headers)
    headers.pop("Content-Type", None)
    if result.status >= 400:
        body: dict[str, Any] = result.body
        extensions = {"error": body["error"]}
        if body.get("error_description"):
            extensions["error_description"] = body["error_description"]
        return problem_response(
            result.status,
            body.get("error_description") or body["error"],
            instance=request.url.path,
            headers=headers,
            **extensions,
        )
    return JSONResponse(result.body, status_code=result.status, headers=headers)


async def read_form(request: Request) -> list[tuple[str, str]]:
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM_MEDIA_TYPE:
        return []
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        return []
    return parse_qsl(text, keep_blank_values=True)


def login_page(request: Request, client_id: str, scope: str) -> HTMLResponse:
    action = html.escape(f"{request.url.path}?{request.url.query}", quote=True)
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in to continue to {html.escape(client_id)}</h1>
<p>It asks for: {html.escape(scope)}</p>
<form method="post" action="{action}">
  <label>Username <input name="username" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"
    required></label>
  <button name="decision" value="approve">Allow</button>
  <button name="decision" value="deny" formnovalidate>Deny</button>
</form>
</body></html>"""
    return HTMLResponse(body, headers=PAGE_HEADERS)


def build_oauth_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["authorization server"])

    def adapt(
        request: Request,
        form: list[tuple[str, str]],
        params_in: Literal["query", "form"],
        db: Session,
    ) -> AdaptedRequest:
        try:
            return AdaptedRequest(
                method=request.method,
                url=str(request.url),
                headers=request.headers,
                query=request.query_params.multi_items(),
                form=form,
                params_in=params_in,
                db=db,
            )
        except InsecureTransportError:
            # Authlib refuses plain http except on loopback (RFC 8252 7.3).
            raise HTTPException(400, "OAuth endpoints must be reached over https.") from None

    def authorize_sync(request: Request, form: list[tuple[str, str]]) -> Response:
        server: NotesAuthorizationServer = request.app.state.authorization_server
        with request.app.state.sessions() as db:
            oauth_request = adapt(request, form, "query", db)
            try:
                grant = server.begin_authorization(oauth_request)
            except AuthorizationRejected as rejected:
                return to_http(rejected.response, request)
            if request.method == "GET":
                return login_page(request, oauth_request.payload.client_id, oauth_request.scope)
            fields = dict(form)
            if fields.get("decision") != "approve":
                return to_http(server.finish_authorization(oauth_request, grant, None), request)
            user = authenticate(db, fields.get("username", ""), fields.get("password", ""))
            if user is None:
                return problem_response(
                    400,
                    "The username or password is wrong.",
                    title="Sign-in failed",
                    instance=request.url.path,
                )
            return to_http(server.finish_authorization(oauth_request, grant, user), request)

    @router.get(
        "/authorize",
        response_class=HTMLResponse,
        openapi_extra={"parameters": AUTHORIZE_PARAMETERS},
        responses=error_responses(OAUTH_ERROR),
    )
    async def authorize_page(request: Request) -> Response:
        """Validate the authorization request and show the sign-in and consent form."""
        return await run_in_threadpool(authorize_sync, request, [])

    @router.post(
        "/authorize",
        status_code=302,
        response_class=RedirectResponse,
        response_description="To the client's redirect_uri with code, state and iss, or error",
        openapi_extra={"parameters": AUTHORIZE_PARAMETERS, **LOGIN_FORM},
        responses=error_responses(SIGN_IN_FAILED, TOO_LARGE),
    )
    async def authorize_decision(request: Request) -> Response:
        """The form's answer: sign in and approve (redirect with a code) or deny."""
        return await run_in_threadpool(authorize_sync, request, await read_form(request))

    def token_sync(request: Request, form: list[tuple[str, str]]) -> Response:
        server: NotesAuthorizationServer = request.app.state.authorization_server
        with request.app.state.sessions() as db:
            return to_http(server.token_response(adapt(request, form, "form", db)), request)

    @router.post(
        "/token", openapi_extra=TOKEN_FORM, responses=error_responses(OAUTH_ERROR, TOO_LARGE)
    )
    async def token(request: Request) -> Response:
        """Exchange a code and its PKCE verifier for an access token and an ID token."""
        return await run_in_threadpool(token_sync, request, await read_form(request))

    @router.get("/.well-known/openid-configuration")
    def openid_configuration() -> dict[str, Any]:
        issuer = settings.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks.json",
            "scopes_supported": sorted({s for c in settings.clients for s in c.allowed_scopes}),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [SIGNING_ALG],
            "token_endpoint_auth_methods_supported": ["none"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "at_hash",
                "preferred_username",
                "name",
            ],
        }

    @router.get("/jwks.json")
    def jwks(request: Request) -> dict[str, Any]:
        return public_jwks(request.app.state.signing_key)

    return router


def seed_users(sessions: sessionmaker[Session], users: dict[str, str]) -> None:
    with sessions() as db:
        existing = set(db.scalars(select(User.username)))
        for username, password in users.items():
            if username not in existing:
                create_user(db, username, password, display_name=username.title())
        db.commit()


def create_app(settings: Settings) -> FastAPI:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{settings.database_path}")
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine)
    seed_users(sessions, settings.seed_users)
    key = load_or_create_signing_key(settings.signing_key_path)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="OAuth 2.1 + PKCE authorization server and notes API",
        version="1.0.0",
        lifespan=lifespan,
        # operationIds are the function names (list_notes, token, ...), not FastAPI's
        # generated "list_notes_api_notes_get": SDK generators name methods after them.
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.signing_key = key
    app.state.authorization_server = NotesAuthorizationServer(settings, key)
    app.state.cursors = CursorCodec()  # its key lives as long as the process
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.include_router(build_oauth_router(settings))
    app.include_router(build_resource_router(settings))
    install_problem_openapi(app)
    return app
