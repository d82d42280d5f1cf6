"""The FastAPI app: passkey ceremonies, session tokens, and each user's passkey list.

Each operation declares the errors it can answer (``problems.py``); the passkey list pages
by ``limit`` and an opaque ``cursor`` (``pagination.py``).
"""

# No `from __future__ import annotations`: FastAPI resolves the Annotated aliases defined
# inside create_app when the route functions are declared.

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from .body_limit import BodySizeLimitMiddleware
from .ceremonies import (
    CeremonyFailed,
    finish_authentication,
    finish_registration,
    start_adding,
    start_authentication,
    start_registration,
)
from .db import Base, Credential, User, make_engine, make_session_factory
from .error_docs import (
    ALREADY_REGISTERED,
    CEREMONY_REFUSED,
    LAST_PASSKEY,
    NOT_FOUND,
    PASSKEY_REGISTERED,
    UNAUTHORIZED,
    USERNAME_TAKEN,
)
from .pagination import (
    DEFAULT_LIMIT,
    MAX_CURSOR_LENGTH,
    MAX_LIMIT,
    CursorCodec,
    Pagination,
    keyset_page,
)
from .problems import (
    BAD_CURSOR,
    INVALID,
    TOO_LARGE,
    error_responses,
    install_problem_handlers,
    install_problem_openapi,
    problem_response,
)
from .settings import Settings
from .tokens import InvalidToken, issue_token, load_or_create_token_key, verify_token

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{1,31}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegistrationStart(Strict):
    username: str = Field(pattern=USERNAME_PATTERN)
    display_name: str | None = Field(default=None, min_length=1, max_length=128)
    nickname: str = Field(default="First passkey", min_length=1, max_length=100)


class AuthenticationStart(Strict):
    username: str | None = Field(default=None, max_length=32)


class AddPasskeyStart(Strict):
    nickname: str = Field(min_length=1, max_length=100)


# The shapes PublicKeyCredential.toJSON() produces (WebAuthn Level 3, 5.1), all members
# declared so that extra="forbid" accepts real browsers and refuses anything else.
class AttestationResponse(Strict):
    clientDataJSON: str = Field(max_length=4096)
    attestationObject: str = Field(max_length=8192)
    authenticatorData: str | None = Field(default=None, max_length=4096)
    transports: list[str] | None = Field(default=None, max_length=8)
    publicKey: str | None = Field(default=None, max_length=2048)
    publicKeyAlgorithm: int | None = None


class AssertionResponse(Strict):
    clientDataJSON: str = Field(max_length=4096)
    authenticatorData: str = Field(max_length=4096)
    signature: str = Field(max_length=1024)
    userHandle: str | None = Field(default=None, max_length=128)
    attestationObject: str | None = Field(default=None, max_length=8192)


class RegistrationCredential(Strict):
    id: str = Field(max_length=1400)
    rawId: str = Field(max_length=1400)
    type: Literal["public-key"]
    response: AttestationResponse
    authenticatorAttachment: str | None = Field(default=None, max_length=32)
    clientExtensionResults: dict[str, Any] = Field(default_factory=dict)


class AuthenticationCredential(Strict):
    id: str = Field(max_length=1400)
    rawId: str = Field(max_length=1400)
    type: Literal["public-key"]
    response: AssertionResponse
    authenticatorAttachment: str | None = Field(default=None, max_length=32)
    clientExtensionResults: dict[str, Any] = Field(default_factory=dict)


class RegistrationFinish(Strict):
    ceremony_id: str = Field(max_length=64)
    credential: RegistrationCredential


class AuthenticationFinish(Strict):
    ceremony_id: str = Field(max_length=64)
    credential: AuthenticationCredential


class CeremonyOptions(BaseModel):
    ceremony_id: str
    publicKey: dict[str, Any]


class SessionToken(BaseModel):
    user_id: int
    username: str
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str


class CredentialOut(BaseModel):
    id: int
    nickname: str
    aaguid: str
    sign_count: int
    backed_up: bool
    created_at: int
    last_used_at: int | None


class CredentialPage(BaseModel):
    data: list[CredentialOut]
    pagination: Pagination


def credential_out(credential: Credential) -> CredentialOut:
    return CredentialOut(
        id=credential.id,
        nickname=credential.nickname,
        aaguid=credential.aaguid,
        sign_count=credential.sign_count,
        backed_up=credential.backed_up,
        created_at=credential.created_at,
        last_used_at=credential.last_used_at,
    )


def create_app(settings: Settings) -> FastAPI:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{settings.database_path}")
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine)
    token_key = load_or_create_token_key(settings.token_key_path)
    cursors = CursorCodec()  # its key lives as long as the process

    def get_db() -> Iterator[Session]:
        with sessions() as session:
            yield session

    DB = Annotated[Session, Depends(get_db)]
    bearer_scheme = HTTPBearer(
        auto_error=False, bearerFormat="JWT", description="From /v1/authentication"
    )

    def unauthorized(description: str | None) -> HTTPException:
        challenge = 'Bearer realm="passkeys"'
        if description:
            challenge += f', error="invalid_token", error_description="{description}"'
        return HTTPException(
            401, description or "A bearer token is required.", {"WWW-Authenticate": challenge}
        )

    def current_user(
        db: DB,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    ) -> User:
        if credentials is None:
            raise unauthorized(None)
        try:
            user_id = verify_token(credentials.credentials, token_key, issuer=settings.issuer)
        except InvalidToken as exc:
            raise unauthorized(str(exc)) from None
        user = db.get(User, user_id)
        if user is None:
            raise unauthorized("The token's user no longer exists.")
        return user

    CurrentUser = Annotated[User, Depends(current_user)]

    def session_token(user: User) -> SessionToken:
        token = issue_token(
            token_key,
            issuer=settings.issuer,
            user_id=user.id,
            lifetime_seconds=settings.token_seconds,
        )
        return SessionToken(
            user_id=user.id,
            username=user.username,
            access_token=token,
            expires_in=settings.token_seconds,
        )

    def own_credential(user: User, user_id: int, credential_id: int) -> Credential:
        if user_id != user.id:
            raise HTTPException(404, "No such passkey.")  # the same answer as a missing one
        for credential in user.credentials:
            if credential.id == credential_id:
                return credential
        raise HTTPException(404, "No such passkey.")

    router = APIRouter(prefix="/v1")

    @router.post(
        "/registration/options",
        tags=["registration"],
        responses=error_responses(USERNAME_TAKEN, TOO_LARGE, INVALID),
    )
    def registration_options(body: RegistrationStart, db: DB) -> CeremonyOptions:
        """Start creating an account: options for navigator.credentials.create()."""
        ceremony_id, options = start_registration(
            db,
            settings,
            username=body.username,
            display_name=body.display_name or body.username,
            nickname=body.nickname,
        )
        return CeremonyOptions(ceremony_id=ceremony_id, publicKey=options)

    @router.post(
        "/registration",
        status_code=201,
        tags=["registration"],
        responses=error_responses(CEREMONY_REFUSED, ALREADY_REGISTERED, TOO_LARGE, INVALID),
    )
    def register(body: RegistrationFinish, db: DB, response: Response) -> SessionToken:
        """Verify the new passkey, create the account, and sign it in."""
        stored = finish_registration(
            db, settings, body.ceremony_id, body.credential.model_dump(exclude_none=True)
        )
        response.headers["Location"] = f"/v1/users/{stored.user.id}/credentials/{stored.id}"
        return session_token(stored.user)

    @router.post(
        "/authentication/options",
        tags=["authentication"],
        responses=error_responses(TOO_LARGE, INVALID),
    )
    def authentication_options(body: AuthenticationStart, db: DB) -> CeremonyOptions:
        """Start a sign-in: options for navigator.credentials.get()."""
        ceremony_id, options = start_authentication(db, settings, body.username)
        return CeremonyOptions(ceremony_id=ceremony_id, publicKey=options)

    @router.post(
        "/authentication",
        tags=["authentication"],
        responses=error_responses(CEREMONY_REFUSED, TOO_LARGE, INVALID),
    )
    def authenticate(body: AuthenticationFinish, db: DB) -> SessionToken:
        """Verify the assertion; answer with a short-lived bearer token."""
        user = finish_authentication(
            db, settings, body.ceremony_id, body.credential.model_dump(exclude_none=True)
        )
        return session_token(user)

    @router.get("/me", tags=["account"], responses=error_responses(UNAUTHORIZED))
    def me(user: CurrentUser) -> UserOut:
        return UserOut(id=user.id, username=user.username, display_name=user.display_name)

    @router.post(
        "/credentials/options",
        tags=["passkeys"],
        responses=error_responses(UNAUTHORIZED, TOO_LARGE, INVALID),
    )
    def add_passkey_options(body: AddPasskeyStart, user: CurrentUser, db: DB) -> CeremonyOptions:
        """Start adding another passkey to the signed-in account."""
        ceremony_id, options = start_adding(db, settings, user, body.nickname)
        return CeremonyOptions(ceremony_id=ceremony_id, publicKey=options)

    @router.post(
        "/credentials",
        status_code=201,
        tags=["passkeys"],
        responses=error_responses(
            CEREMONY_REFUSED, UNAUTHORIZED, PASSKEY_REGISTERED, TOO_LARGE, INVALID
        ),
    )
    def add_passkey(
        body: RegistrationFinish, user: CurrentUser, db: DB, response: Response
    ) -> CredentialOut:
        stored = finish_registration(
            db,
            settings,
            body.ceremony_id,
            body.credential.model_dump(exclude_none=True),
            user=user,
        )
        response.headers["Location"] = f"/v1/users/{user.id}/credentials/{stored.id}"
        return credential_out(stored)

    @router.get(
        "/users/{user_id}/credentials",
        tags=["passkeys"],
        responses=error_responses(BAD_CURSOR, UNAUTHORIZED, NOT_FOUND, INVALID),
    )
    def list_passkeys(
        user_id: int,
        user: CurrentUser,
        db: DB,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = DEFAULT_LIMIT,
        cursor: Annotated[
            str | None,
            Query(
                max_length=MAX_CURSOR_LENGTH,
                description="`pagination.next_cursor` of the previous page; omit for the first",
            ),
        ] = None,
    ) -> CredentialPage:
        """The signed-in user's passkeys, oldest first, a page at a time."""
        if user_id != user.id:
            raise HTTPException(404, "No such user.")
        this_query = {"user": user.id}  # a cursor is valid only for the list it came from
        after = None if cursor is None else cursors.decode(cursor, this_query)
        query = select(Credential).where(Credential.user_id == user.id)
        rows, has_more = keyset_page(db, query, Credential.id, limit, after)
        next_cursor = cursors.encode(this_query, rows[-1].id) if has_more else None
        return CredentialPage(
            data=[credential_out(c) for c in rows],
            pagination=Pagination(next_cursor=next_cursor, has_more=has_more),
        )

    @router.get(
        "/users/{user_id}/credentials/{credential_id}",
        tags=["passkeys"],
        responses=error_responses(UNAUTHORIZED, NOT_FOUND, INVALID),
    )
    def read_passkey(user_id: int, credential_id: int, user: CurrentUser) -> CredentialOut:
        return credential_out(own_credential(user, user_id, credential_id))

    @router.delete(
        "/users/{user_id}/credentials/{credential_id}",
        status_code=204,
        tags=["passkeys"],
        responses=error_responses(UNAUTHORIZED, NOT_FOUND, LAST_PASSKEY, INVALID),
    )
    def delete_passkey(user_id: int, credential_id: int, user: CurrentUser, db: DB) -> Response:
        credential = own_credential(user, user_id, credential_id)
        if len(user.credentials) == 1:
            raise HTTPException(409, "This is the account's last passkey; add another first.")
        db.delete(credential)
        db.commit()
        return Response(status_code=204)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="Passkey sign-in (WebAuthn)",
        version="1.0.0",
        lifespan=lifespan,
        # operationIds are the function names (list_passkeys, authenticate, ...), not
        # FastAPI's generated "list_passkeys_v1_users__user_id__credentials_get".
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.token_key = token_key

    async def ceremony_failed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CeremonyFailed)
        return problem_response(exc.status, exc.detail, instance=request.url.path)

    install_problem_handlers(app)
    app.add_exception_handler(CeremonyFailed, ceremony_failed)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.include_router(router)
    install_problem_openapi(app)
    return app
