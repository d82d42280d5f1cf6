"""The products API of notebook 02-api-patterns/02: models, problem details, routes, versions.

The notebook imports this file and shows it a region at a time (`show_source`), each part
followed by the prose that explains it. `make_app(engine, versions)` builds the app on the
notebook's SQLite engine; nothing here runs at import time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime
from html import escape
from http import HTTPStatus
from typing import Annotated, Literal
from uuid import uuid4

import httpx
import ipywidgets as widgets
from fastapi import APIRouter, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from backend_skills.shop import OrderItem, Product

# region models
Category = Literal["books", "cloud", "hardware", "office"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class ProductIn(BaseModel):
    """The body of POST and PUT: only what a client may set."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    category: Category
    price_cents: int = Field(ge=0, le=100_000_000)


class ProductV1(BaseModel):
    """What /v1 shows of a product."""

    id: int
    sku: str
    name: str
    category: Category
    price_cents: int


class Pagination(BaseModel):
    next_cursor: str | None
    has_more: bool


class ProductPageV1(BaseModel):
    data: list[ProductV1]
    pagination: Pagination


# endregion


# region problem-details
PROBLEM = "application/problem+json"
MAX_LIMIT = 100
SKU_PREFIX = {"books": "BOO", "cloud": "CLO", "hardware": "HAR", "office": "OFF"}


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """RFC 9457 problem details (the members this API uses)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


def problem(
    status: int,
    title: str,
    request: Request,
    detail: str | None = None,
    headers: dict | None = None,
    **extra,
) -> JSONResponse:
    body = Problem(title=title, status=status, detail=detail, instance=request.url.path, **extra)
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, headers=headers, media_type=PROBLEM
    )


def allowed_methods(request: Request) -> str:
    """Every method documented for this path: the router reports only its first match."""
    methods = set()
    for template, path_item in request.app.openapi()["paths"].items():
        pattern, _, _ = compile_path(template)
        if pattern.match(request.url.path):
            methods |= {method.upper() for method in path_item}
    return ", ".join(sorted(methods))


def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    title = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if exc.detail != title else None
    return problem(exc.status_code, title, request, detail, headers)


def validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [FieldError(loc=list(e["loc"]), msg=e["msg"]) for e in exc.errors()]
    return problem(
        422, "Unprocessable Content", request, f"{len(errors)} invalid field(s)", errors=errors
    )


def declared(*statuses: int) -> dict:
    """OpenAPI entries for the error responses an operation can give (section 4 uses them)."""
    return {status: {"model": Problem, "description": "problem details"} for status in statuses}


# endregion


# region service
def get_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise HTTPException(404, f"no product {product_id}")
    return product


def insert_product(session: Session, body: ProductIn) -> Product:
    # The sku derives from the id, which only exists after the INSERT: a unique placeholder
    # first, the real value before the transaction commits.
    product = Product(**body.model_dump(), sku=f"~{uuid4().hex[:16]}")
    session.add(product)
    session.flush()
    product.sku = f"{SKU_PREFIX[body.category]}-{product.id:04d}"
    session.flush()
    return product


# endregion


# region idempotency-key
keys_metadata = MetaData()
idempotency_keys = Table(
    "idempotency_key",
    keys_metadata,
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),  # method, path and body, hashed
    Column("status", Integer, nullable=False),
    Column("location", String(200), nullable=False),
    Column("body", Text, nullable=False),
)


def fingerprint(request: Request, body: ProductIn) -> str:
    canonical = json.dumps([request.method, request.url.path, body.model_dump()], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=8,
        max_length=255,
        pattern=r'^"?[A-Za-z0-9_.:\-]+"?$',
        description="Retry-safe POST: the same key and body replay the first response",
    ),
]
# endregion


# region api-version
@dataclass(frozen=True)
class ApiVersion:
    """One version of the API: its name, how it shows a product, and whether it is retiring."""

    name: str
    present: Callable[[Product], BaseModel]
    one: type[BaseModel]
    page: type[BaseModel]
    deprecated: bool = False


# endregion


# region create
def product_routes(api: ApiVersion, engine: Engine) -> APIRouter:
    """The products resource for one API version; `api.present` shapes a row for it."""
    version, present, one, page = api.name, api.present, api.one, api.page
    router = APIRouter(
        prefix=f"/{version}/products", tags=[f"products {version}"], deprecated=api.deprecated
    )

    @router.post(
        "",
        status_code=201,
        response_model=one,
        responses=declared(422),
        operation_id=f"create_product_{version}",
    )
    def create_product(
        body: ProductIn,
        request: Request,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ):
        key = idempotency_key.strip('"') if idempotency_key else None
        with Session(engine, expire_on_commit=False) as session, session.begin():
            if key is not None:
                stored = session.execute(
                    select(idempotency_keys).where(idempotency_keys.c.key == key)
                ).first()
                if stored is not None:
                    if stored.fingerprint != fingerprint(request, body):
                        raise HTTPException(
                            422,
                            "this Idempotency-Key was used with another "
                            "request; use a new key for a new request",
                        )
                    return JSONResponse(
                        json.loads(stored.body),
                        status_code=stored.status,
                        headers={"Location": stored.location, "Idempotent-Replayed": "true"},
                    )
            product = insert_product(session, body)
            shown = present(product)
            location = f"/{version}/products/{product.id}"
            if key is not None:
                session.execute(
                    insert(idempotency_keys).values(
                        key=key,
                        fingerprint=fingerprint(request, body),
                        status=201,
                        location=location,
                        body=shown.model_dump_json(),
                    )
                )
        response.headers["Location"] = location
        return shown

    # endregion

    # region read
    @router.get(
        "", response_model=page, responses=declared(422), operation_id=f"list_products_{version}"
    )
    def list_products(
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
        cursor: Annotated[str | None, Query(pattern=r"^\d{1,18}$")] = None,
    ):
        # A bare id as the cursor keeps this short; notebook 03 makes it opaque and signed.
        after = int(cursor) if cursor else 0
        with Session(engine) as session:
            rows = session.scalars(
                select(Product).where(Product.id > after).order_by(Product.id).limit(limit + 1)
            ).all()
            more = len(rows) > limit
            rows = rows[:limit]
            return {
                "data": [present(p) for p in rows],
                "pagination": {"next_cursor": str(rows[-1].id) if more else None, "has_more": more},
            }

    @router.get(
        "/{product_id}",
        response_model=one,
        responses=declared(404, 422),
        operation_id=f"get_product_{version}",
    )
    def read_product(product_id: int):
        with Session(engine) as session:
            return present(get_product(session, product_id))

    # endregion

    # region replace-delete
    @router.put(
        "/{product_id}",
        response_model=one,
        responses=declared(404, 422),
        operation_id=f"replace_product_{version}",
    )
    def replace_product(product_id: int, body: ProductIn):
        with Session(engine, expire_on_commit=False) as session, session.begin():
            product = get_product(session, product_id)
            for field, value in body.model_dump().items():
                setattr(product, field, value)
        return present(product)

    @router.delete(
        "/{product_id}",
        status_code=204,
        responses=declared(404, 409, 422),
        operation_id=f"delete_product_{version}",
    )
    def delete_product(product_id: int) -> Response:
        with Session(engine) as session:
            try:
                with session.begin():
                    session.delete(get_product(session, product_id))
            except IntegrityError:  # order_item.product_id references it (foreign keys ON)
                lines = session.scalar(
                    select(func.count())
                    .select_from(OrderItem)
                    .where(OrderItem.product_id == product_id)
                )
                raise HTTPException(
                    409, f"product {product_id} is on {lines} order lines; it cannot be deleted"
                ) from None
        return Response(status_code=204)

    return router
    # endregion


# region make-app
def present_v1(product: Product) -> ProductV1:
    return ProductV1.model_validate(product, from_attributes=True)


def make_app(engine: Engine, versions: list[ApiVersion], middleware: tuple = ()) -> FastAPI:
    """The whole API: error handlers, one router per version, then middleware (outermost
    last). A real service builds its app once, before it starts serving."""
    keys_metadata.create_all(engine)  # the idempotency keys live beside the products
    app = FastAPI(title="Shop products", version="2.0.0")
    app.add_exception_handler(StarletteHTTPException, http_problem)
    app.add_exception_handler(RequestValidationError, validation_problem)
    for api in versions:
        app.include_router(product_routes(api, engine))
    for middleware_class, options in middleware:
        app.add_middleware(middleware_class, **options)
    return app


# endregion


# region v2
class ProductV2(BaseModel):
    """What /v2 shows: the price as a decimal string instead of integer cents."""

    id: int
    sku: str
    name: str
    category: Category
    price: Decimal = Field(description="Price in the shop's currency, two decimals")


class ProductPageV2(BaseModel):
    data: list[ProductV2]
    pagination: Pagination


def present_v2(product: Product) -> ProductV2:
    return ProductV2(
        id=product.id,
        sku=product.sku,
        name=product.name,
        category=product.category,
        price=(Decimal(product.price_cents) / 100).quantize(Decimal("0.01")),
    )


# endregion


# region deprecation-middleware
V1_DEPRECATED_AT = datetime(2026, 1, 1, tzinfo=UTC)
V1_SUNSET_AT = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
DEPRECATION_POLICY = "https://shop.example/docs/deprecations/v1"  # a page, never fetched


class AnnounceDeprecation:
    """Pure ASGI middleware: Deprecation, Sunset and Link headers on every /v1 response,
    errors included (a dependency could not add headers to an error response)."""

    def __init__(
        self,
        app,
        prefix: str,
        successor: str,
        deprecated_at: datetime,
        sunset_at: datetime,
        policy: str,
    ):
        self.app, self.prefix, self.successor, self.policy = app, prefix, successor, policy
        self.deprecation = f"@{int(deprecated_at.timestamp())}"
        self.sunset = format_datetime(sunset_at, usegmt=True)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        successor = self.successor + scope["path"][len(self.prefix) :]

        async def send_with_notice(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Deprecation"] = self.deprecation
                headers["Sunset"] = self.sunset
                headers.append("Link", f'<{successor}>; rel="successor-version"')
                headers.append("Link", f'<{self.policy}>; rel="deprecation"; type="text/html"')
            await send(message)

        await self.app(scope, receive, send_with_notice)


# endregion


# region explorer
class ApiExplorer:
    """Method dropdown, path and body inputs, a Send button and a response panel."""

    SHOWN_HEADERS = (
        "content-type",
        "location",
        "allow",
        "deprecation",
        "sunset",
        "idempotent-replayed",
    )

    def __init__(self, client: httpx.Client):
        self.client = client
        self.response: httpx.Response | None = None
        self.history: list[tuple[str, str, int]] = []
        self._method = widgets.Dropdown(
            options=["GET", "POST", "PUT", "DELETE", "PATCH"],
            value="GET",
            layout=widgets.Layout(width="110px"),
        )
        self._path = widgets.Text(value="/v2/products/1", layout=widgets.Layout(width="360px"))
        self._body = widgets.Textarea(
            placeholder="JSON body (POST, PUT)", layout=widgets.Layout(width="480px", height="80px")
        )
        self._send = widgets.Button(description="Send", button_style="primary", icon="paper-plane")
        self._panel = widgets.HTML()
        self._send.on_click(lambda _button: self._safely_send())
        self.view = widgets.VBox(
            [widgets.HBox([self._method, self._path, self._send]), self._body, self._panel]
        )

    def send(
        self, method: str | None = None, path: str | None = None, body: str | dict | None = None
    ) -> httpx.Response:
        """Fill the inputs (when given) and send; the Send button calls this with none."""
        if method is not None:
            self._method.value = method
        if path is not None:
            self._path.value = path
        if body is not None:
            self._body.value = body if isinstance(body, str) else json.dumps(body)
        content = self._body.value.strip() if self._method.value in ("POST", "PUT", "PATCH") else ""
        # The text goes out as typed: if it is not JSON, the API's 422 says so.
        self.response = self.client.request(
            self._method.value,
            self._path.value,
            content=content or None,
            headers={"Content-Type": "application/json"} if content else None,
        )
        self.history.append((self._method.value, self._path.value, self.response.status_code))
        self._render()
        return self.response

    def panel_text(self) -> str:
        r = self.response
        if r is None:
            return ""
        lines = [f"HTTP {r.status_code} {r.reason_phrase}"]
        lines += [f"{h}: {r.headers[h]}" for h in self.SHOWN_HEADERS if h in r.headers]
        if r.content:
            try:
                lines += ["", json.dumps(r.json(), indent=2)]
            except ValueError:
                lines += ["", r.text]
        return "\n".join(lines)

    def _safely_send(self):
        try:
            self.send()
        except httpx.HTTPError as exc:  # a click must not raise into the frontend
            self._panel.value = f"<pre style='color:#b00020'>{escape(repr(exc))}</pre>"

    def _render(self):
        color = "#2a9d8f" if self.response.is_success else "#b00020"
        self._panel.value = (
            f"<pre style='border-left:4px solid {color};padding-left:8px'>"
            f"{escape(self.panel_text())}</pre>"
        )

    def _ipython_display_(self):
        from IPython.display import display

        display(self.view)


# endregion
