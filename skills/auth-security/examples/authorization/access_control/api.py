"""The HTTP API. Which model guards what:

- **authentication**: ``POST /v1/auth/token`` checks an argon2id hash and issues a
  five-minute JWT; every other operation needs it as a bearer token (401 otherwise);
- **RBAC (casbin)**: coarse, per organization: may a guest/member/admin create documents,
  create folders, list members at all? (403 when the role does not allow it);
- **ReBAC (relation tuples)**: which documents and folders, through ownership, sharing and
  folder inheritance (404 when you may not view it, 403 when you may view but not edit);
- **ABAC (casbin)**: the submit/publish workflow, decided on attributes (403);
- **row-level filtering**: the lists (``GET /v1/documents``, ``/v1/folders``,
  ``/v1/members``) ask SQL for visible rows only, one keyset page at a time.

Each operationId is the function's name (``list_documents``), so generated clients get
readable method names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Any

import casbin
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from access_control.abac import (
    DocumentAttributes,
    Environment,
    SubjectAttributes,
    abac_allows,
    make_abac_enforcer,
)
from access_control.body_limit import BodySizeLimitMiddleware
from access_control.db import make_engine, make_session_factory
from access_control.documents import (
    ConflictingSortOrder,
    SortKey,
    SortOrder,
    document_ref,
    folder_ref,
    list_org_members,
    list_visible_documents,
    list_visible_folders,
    load_visible_document,
    load_visible_folder,
    resolve_sort,
)
from access_control.models import Base, Document, Folder, Organization, User
from access_control.pagination import InvalidCursor, Page
from access_control.problems import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    forbidden,
    install_problem_handlers,
)
from access_control.rbac import make_rbac_enforcer, rbac_allows, roles_in_org
from access_control.rebac import ObjectRef, RelationStore, Tuple
from access_control.schemas import (
    DocumentCreate,
    DocumentOut,
    DocumentPage,
    DocumentUpdate,
    FolderCreate,
    FolderOut,
    FolderPage,
    LoginRequest,
    MemberOut,
    MemberPage,
    MeOut,
    Pagination,
    PermissionsOut,
    ProblemDetails,
    ShareCreate,
    ShareOut,
    TokenResponse,
)
from access_control.seed import seed_demo_data
from access_control.settings import Settings
from access_control.tokens import InvalidToken, TokenService

PUBLISH_RULE = (
    "Publishing needs a document in review, and someone other than its author, from the "
    "author's department, cleared for its sensitivity, Monday to Friday 08:00-18:00 UTC."
)
SUBMIT_RULE = "Only the author can submit a document, and only while it is a draft."
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class Services:
    """What the endpoints share; one instance per app, kept in ``app.state.services``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine: Engine = make_engine(settings.database_url)
        self.session_factory: sessionmaker[Session] = make_session_factory(self.engine)
        self.tokens = TokenService(
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            lifetime=settings.token_lifetime,
            clock=settings.clock,
        )
        self.hasher = settings.password_hasher
        # Verified against when the username is unknown, so that a wrong username costs
        # the same time as a wrong password and response times do not reveal who exists.
        self.dummy_hash = self.hasher.hash("no such user")
        self.abac = make_abac_enforcer()
        self._rbac: casbin.Enforcer | None = None

    @property
    def rbac(self) -> casbin.Enforcer:
        if self._rbac is None:
            raise RuntimeError("the database is not initialized; run the app's lifespan")
        return self._rbac

    def initialize_database(self) -> None:
        """Create tables, seed the demo data and load role assignments (idempotent)."""
        Base.metadata.create_all(self.engine)
        if self.settings.seed_demo_data:
            with self.session_factory() as session:
                seed_demo_data(session, self.hasher)
        self._rbac = make_rbac_enforcer(self.session_factory)

    def relation_store(self, session: Session) -> RelationStore:
        return RelationStore(session, self.settings.max_relation_depth)


def create_app(settings: Settings | None = None) -> FastAPI:
    services = Services(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services.initialize_database()
        yield
        services.engine.dispose()

    app = FastAPI(
        title="Access control example",
        version="1.0.0",
        summary="RBAC, ABAC and ReBAC side by side over a multi-tenant document workspace.",
        lifespan=lifespan,
        # operationId = the function's name (list_documents), not FastAPI's default
        # (list_documents_v1_documents_get); route names are unique, so the ids are too.
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.services = services
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=services.settings.max_body_bytes)
    app.include_router(router)
    return app


# -- dependencies --------------------------------------------------------------------------


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with services.session_factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

bearer = HTTPBearer(
    auto_error=False,  # so that a missing token gets our 401 problem, not FastAPI's answer
    description="An access token from POST /v1/auth/token.",
)


def current_user(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    session: SessionDep,
    services: ServicesDep,
) -> User:
    if credentials is None:
        raise Problem(
            401,
            "This operation needs a bearer token.",
            problem_type="unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="access-control"'},
        )
    invalid = Problem(
        401,
        "The bearer token is invalid or expired.",
        problem_type="unauthorized",
        headers={"WWW-Authenticate": 'Bearer realm="access-control", error="invalid_token"'},
    )
    try:
        user_id = services.tokens.verify(credentials.credentials)
    except InvalidToken:
        raise invalid from None
    user = session.get(User, user_id)
    if user is None:  # deleted since the token was issued
        raise invalid
    return user


CurrentUser = Annotated[User, Depends(current_user)]


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: str | None


def page_request(
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Rows per page.")
    ] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[
        str | None,
        Query(
            max_length=512,
            description="`pagination.next_cursor` of the previous page; omit for the first.",
        ),
    ] = None,
) -> PageRequest:
    """The query parameters every list takes (the same bounds everywhere)."""
    return PageRequest(limit, cursor)


PageRequestDep = Annotated[PageRequest, Depends(page_request)]


def pagination_of(page: Page[Any]) -> Pagination:
    return Pagination(next_cursor=page.next_cursor, has_more=page.has_more, total=page.total)


def invalid_cursor(exc: InvalidCursor) -> RequestValidationError:
    return validation_problem(("query", "cursor"), str(exc))


def require_role_permission(
    services: Services, user: User, obj: str, act: str, detail: str
) -> None:
    if not rbac_allows(services.rbac, user.username, user.org_id, obj, act):
        raise forbidden(detail)


def visible_document(
    services: Services, session: Session, store: RelationStore, user: User, document_id: int
) -> Document:
    """RBAC first (does the user's role in this organization allow reading documents at
    all? a user whose membership was revoked keeps old share tuples but loses this), then
    the tenant and ReBAC: 404 unless the user may view this document."""
    require_role_permission(
        services, user, "document", "read", "Your role in this organization cannot read documents."
    )
    return load_visible_document(session, store, user, document_id)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for problem-details answers, under their own media type."""
    schema = ProblemDetails.model_json_schema()
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
        }
        for status in statuses
    }


def validation_problem(loc: tuple[str, ...], msg: str) -> RequestValidationError:
    return RequestValidationError([{"loc": loc, "msg": msg, "type": "value_error"}])


router = APIRouter(responses=problems(401, 413, 422))

# -- authentication ---------------------------------------------------------------------


@router.post("/v1/auth/token", response_model=TokenResponse, tags=["auth"])
def login(body: LoginRequest, session: SessionDep, services: ServicesDep) -> TokenResponse:
    user = session.scalar(select(User).where(User.username == body.username))
    try:
        services.hasher.verify(user.password_hash if user else services.dummy_hash, body.password)
        authenticated = user is not None
    except (VerificationError, InvalidHashError):
        authenticated = False
    if not authenticated or user is None:
        raise Problem(
            401,
            "Unknown username or wrong password.",
            problem_type="unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="access-control"'},
        )
    if services.hasher.check_needs_rehash(user.password_hash):
        user.password_hash = services.hasher.hash(body.password)
        session.commit()
    token = services.tokens.issue(user.id)
    return TokenResponse(
        access_token=token, expires_in=int(services.settings.token_lifetime.total_seconds())
    )


@router.get("/v1/me", response_model=MeOut, tags=["auth"])
def read_current_user(user: CurrentUser, session: SessionDep, services: ServicesDep) -> MeOut:
    org = session.get_one(Organization, user.org_id)
    return MeOut(
        username=user.username,
        organization=org.slug,
        roles=roles_in_org(services.rbac, user.username, user.org_id),
        department=user.department,
        clearance=user.clearance,
    )


# -- RBAC only ----------------------------------------------------------------------------


@router.get("/v1/members", response_model=MemberPage, tags=["rbac"], responses=problems(403))
def list_members(
    user: CurrentUser, session: SessionDep, services: ServicesDep, paging: PageRequestDep
) -> MemberPage:
    """The caller's organization only, by username; one page at a time."""
    require_role_permission(
        services, user, "members", "list", "Only organization admins can list members."
    )
    try:
        page = list_org_members(session, user, limit=paging.limit, cursor=paging.cursor)
    except InvalidCursor as exc:
        raise invalid_cursor(exc) from None
    return MemberPage(
        data=[
            MemberOut(
                username=member.username,
                roles=roles_in_org(services.rbac, member.username, user.org_id),
                department=member.department,
            )
            for member in page.items
        ],
        pagination=pagination_of(page),
    )


# -- documents: row-level filtering, RBAC + ReBAC + ABAC ---------------------------------


@router.get(
    "/v1/documents", response_model=DocumentPage, tags=["documents"], responses=problems(403)
)
def list_documents(
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    paging: PageRequestDep,
    q: Annotated[str | None, Query(max_length=100, description="Text in title or body.")] = None,
    sort: Annotated[
        SortKey | None,
        Query(description="Sort field, `-` prefix for descending; default `-created_at`."),
    ] = None,
    order: Annotated[
        SortOrder | None,
        Query(description="The direction as a word, for an unprefixed `sort` (default asc)."),
    ] = None,
) -> DocumentPage:
    require_role_permission(
        services, user, "document", "read", "Your role in this organization cannot read documents."
    )
    try:
        sort_key = resolve_sort(sort, order)
    except ConflictingSortOrder as exc:
        raise validation_problem(("query", "order"), str(exc)) from None
    try:
        page = list_visible_documents(
            session,
            services.relation_store(session),
            user,
            q=q,
            sort=sort_key,
            limit=paging.limit,
            cursor=paging.cursor,
        )
    except InvalidCursor as exc:
        raise invalid_cursor(exc) from None
    return DocumentPage(
        data=[DocumentOut.model_validate(item) for item in page.items],
        pagination=pagination_of(page),
    )


@router.post(
    "/v1/documents",
    response_model=DocumentOut,
    status_code=201,
    tags=["documents"],
    responses=problems(403, 404),
)
def create_document(
    body: DocumentCreate,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    response: Response,
) -> Document:
    require_role_permission(
        services,
        user,
        "document",
        "create",
        "Your role in this organization cannot create documents.",
    )
    store = services.relation_store(session)
    parent = ObjectRef("org", user.org_id)
    if body.folder_id is not None:
        folder = load_visible_folder(session, store, user, body.folder_id)
        if not store.check(folder_ref(folder), "editor", user.id):
            raise forbidden("You can see this folder but not add documents to it.")
        parent = folder_ref(folder)
    document = Document(
        org_id=user.org_id,  # the tenant comes from the authenticated user, never the body
        folder_id=body.folder_id,
        owner_id=user.id,
        title=body.title,
        body=body.body,
        department=user.department,
        sensitivity=body.sensitivity,
    )
    session.add(document)
    session.flush()
    # Row and tuples commit together: one database, so no dual-write gap to reconcile.
    store.write(
        Tuple(document_ref(document), "parent", parent),
        Tuple(document_ref(document), "owner", ObjectRef("user", user.id)),
    )
    session.commit()
    response.headers["Location"] = f"/v1/documents/{document.id}"
    return document


@router.get(
    "/v1/documents/{document_id}",
    response_model=DocumentOut,
    tags=["documents"],
    responses=problems(404),
)
def read_document(
    document_id: int, user: CurrentUser, session: SessionDep, services: ServicesDep
) -> Document:
    return visible_document(services, session, services.relation_store(session), user, document_id)


@router.patch(
    "/v1/documents/{document_id}",
    response_model=DocumentOut,
    tags=["documents"],
    responses=problems(403, 404),
)
def update_document(
    document_id: int,
    body: DocumentUpdate,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
) -> Document:
    store = services.relation_store(session)
    document = visible_document(services, session, store, user, document_id)
    if not store.check(document_ref(document), "editor", user.id):
        raise forbidden("You can view this document but not edit it.")
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(document, field, value)
    session.commit()
    return document


@router.get(
    "/v1/documents/{document_id}/permissions",
    response_model=PermissionsOut,
    tags=["documents"],
    responses=problems(404),
)
def read_document_permissions(
    document_id: int, user: CurrentUser, session: SessionDep, services: ServicesDep
) -> PermissionsOut:
    """What the caller may do with the document, so a UI can show only usable buttons."""
    store = services.relation_store(session)
    document = visible_document(services, session, store, user, document_id)
    relations = [
        relation
        for relation in ("owner", "editor", "viewer")
        if store.check(document_ref(document), relation, user.id)
    ]
    subject, attributes = SubjectAttributes.of(user), DocumentAttributes.of(document)
    environment = Environment.at(services.settings.clock())
    return PermissionsOut(
        relations=relations,
        actions={
            "edit": "editor" in relations,
            "share": "owner" in relations,
            "submit": abac_allows(services.abac, subject, attributes, "submit", environment),
            "publish": abac_allows(services.abac, subject, attributes, "publish", environment),
        },
    )


def _transition(
    services: Services, session: Session, user: User, document_id: int, action: str, rule: str
) -> Document:
    document = visible_document(
        services, session, services.relation_store(session), user, document_id
    )
    environment = Environment.at(services.settings.clock())
    if not abac_allows(
        services.abac,
        SubjectAttributes.of(user),
        DocumentAttributes.of(document),
        action,
        environment,
    ):
        raise forbidden(rule)
    document.status = {"submit": "review", "publish": "published"}[action]
    session.commit()
    return document


@router.post(
    "/v1/documents/{document_id}/submit",
    response_model=DocumentOut,
    tags=["abac"],
    responses=problems(403, 404),
)
def submit_document(
    document_id: int, user: CurrentUser, session: SessionDep, services: ServicesDep
) -> Document:
    return _transition(services, session, user, document_id, "submit", SUBMIT_RULE)


@router.post(
    "/v1/documents/{document_id}/publish",
    response_model=DocumentOut,
    tags=["abac"],
    responses=problems(403, 404),
)
def publish_document(
    document_id: int, user: CurrentUser, session: SessionDep, services: ServicesDep
) -> Document:
    return _transition(services, session, user, document_id, "publish", PUBLISH_RULE)


@router.post(
    "/v1/documents/{document_id}/shares",
    response_model=ShareOut,
    status_code=201,
    tags=["rebac"],
    responses=problems(403, 404),
)
def share_document(
    document_id: int,
    body: ShareCreate,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
) -> ShareOut:
    store = services.relation_store(session)
    document = visible_document(services, session, store, user, document_id)
    if not store.check(document_ref(document), "owner", user.id):
        raise forbidden("Only the document's owner can share it.")
    target = session.scalar(
        select(User).where(User.username == body.username, User.org_id == user.org_id)
    )
    if target is None:
        raise validation_problem(("body", "username"), "no such user in your organization")
    grant = Tuple(document_ref(document), body.relation, ObjectRef("user", target.id))
    store.write(grant)
    session.commit()
    return ShareOut(relation_tuple=str(grant))


# -- folders -------------------------------------------------------------------------------


@router.get("/v1/folders", response_model=FolderPage, tags=["folders"], responses=problems(403))
def list_folders(
    user: CurrentUser, session: SessionDep, services: ServicesDep, paging: PageRequestDep
) -> FolderPage:
    """Folders the caller may view, by name; rows filtered in SQL like documents."""
    require_role_permission(
        services, user, "folder", "read", "Your role in this organization cannot read folders."
    )
    try:
        page = list_visible_folders(
            session,
            services.relation_store(session),
            user,
            limit=paging.limit,
            cursor=paging.cursor,
        )
    except InvalidCursor as exc:
        raise invalid_cursor(exc) from None
    return FolderPage(
        data=[FolderOut.model_validate(folder) for folder in page.items],
        pagination=pagination_of(page),
    )


@router.post(
    "/v1/folders",
    response_model=FolderOut,
    status_code=201,
    tags=["folders"],
    responses=problems(403, 404),
)
def create_folder(
    body: FolderCreate,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
) -> Folder:
    require_role_permission(
        services, user, "folder", "create", "Your role in this organization cannot create folders."
    )
    store = services.relation_store(session)
    parent = ObjectRef("org", user.org_id)
    if body.parent_id is not None:
        parent_folder = load_visible_folder(session, store, user, body.parent_id)
        if not store.check(folder_ref(parent_folder), "editor", user.id):
            raise forbidden("You can see this folder but not add folders to it.")
        parent = folder_ref(parent_folder)
    folder = Folder(org_id=user.org_id, name=body.name, parent_id=body.parent_id)
    session.add(folder)
    session.flush()
    store.write(
        Tuple(folder_ref(folder), "parent", parent),
        Tuple(folder_ref(folder), "owner", ObjectRef("user", user.id)),
    )
    session.commit()
    return folder
