"""The shop's order API: a login that issues a JWT, and orders written in one transaction.

Notebook 08-form-submission-flow serves it on 127.0.0.1 behind a login form and an order
form, and follows one submission hop by hop. The shop's own tables come from
`backend_skills.shop`; this lesson adds a credential table and an outbox.
(No `from __future__ import annotations`: FastAPI must see the routes' models and
dependencies, defined inside a method, as objects rather than names.)
"""

import json
import time
from datetime import UTC, datetime
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    insert,
    select,
)
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend_skills.problem_details import problem_response
from backend_skills.shop import Customer, Order, OrderItem, Product

# region tables
lesson_metadata = MetaData()
credential = Table(
    "credential",
    lesson_metadata,
    Column("customer_id", Integer, ForeignKey(Customer.__table__.c.id), primary_key=True),
    Column("password_hash", String(200), nullable=False),
)
outbox = Table(
    "outbox",
    lesson_metadata,
    Column("id", Integer, primary_key=True),
    Column("topic", String(40), nullable=False),
    Column("payload", Text, nullable=False),
)
# endregion

ISSUER, AUDIENCE, TOKEN_SECONDS = "https://shop.example.test", "shop-api", 600


# region models
class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=254)
    password: SecretStr = Field(min_length=1, max_length=1024)


def order_model(max_quantity: int) -> type[BaseModel]:
    """The order form's body; the largest quantity is a lesson parameter."""

    class OrderIn(BaseModel):
        model_config = ConfigDict(extra="forbid")  # no customer_id, no status, no price
        sku: str = Field(min_length=1, max_length=20, description="the product's SKU")
        quantity: int = Field(ge=1, le=max_quantity)
        note: str | None = Field(None, max_length=200)

    return OrderIn


class OrderOut(BaseModel):
    id: int
    customer_id: int
    sku: str
    quantity: int
    total_cents: int
    status: str


# endregion


class ShopOrdersApi:
    """The app (`.app`), its signing key, and the hop log and statement count of a request."""

    def __init__(self, engine: Engine, hasher: PasswordHasher, products: dict, max_quantity: int):
        self.engine, self.hasher, self.products = engine, hasher, products
        self.OrderIn = order_model(max_quantity)
        self.signing_key = OKPKey.generate_key("Ed25519", parameters={"kid": "shop-1"})
        self.dummy_hash = hasher.hash("a password nobody has")  # an unknown e-mail costs a verify
        self.hops: list[tuple[str, float]] = []  # (hop, seconds since the request arrived)
        self.statements = {"count": 0}
        event.listen(engine, "before_cursor_execute", self._count)
        self.app = self._routes()

    def _count(self, *_args) -> None:
        self.statements["count"] += 1

    def hop(self, name: str, request: Request) -> None:
        self.hops.append((name, time.perf_counter() - request.state.started))

    # region login
    def login(self, body: LoginIn) -> dict:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(credential.c.customer_id, credential.c.password_hash)
                .join(Customer.__table__, Customer.__table__.c.id == credential.c.customer_id)
                .where(Customer.__table__.c.email == body.email.strip().lower())
            ).first()
        try:
            stored = row.password_hash if row else self.dummy_hash
            self.hasher.verify(stored, body.password.get_secret_value())
            if row is None:
                raise VerificationError("unknown e-mail")
        except VerificationError:
            raise HTTPException(
                401, "wrong e-mail or password", headers={"WWW-Authenticate": "Bearer"}
            ) from None
        return {
            "access_token": self.issue_token(row.customer_id),
            "token_type": "bearer",
            "expires_in": TOKEN_SECONDS,
        }

    def issue_token(self, customer_id: int) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": str(customer_id)}
        claims |= {"iat": now, "exp": now + TOKEN_SECONDS}
        header = {"alg": "Ed25519", "kid": "shop-1", "typ": "at+jwt"}
        return jwt.encode(header, claims, self.signing_key, algorithms=["Ed25519"])

    # endregion

    # region verify
    def customer_from_token(self, token: str) -> int:
        """The customer id in a valid token: signature, iss, aud, exp and sub all checked."""
        decoded = jwt.decode(token, self.signing_key, algorithms=["Ed25519"])  # alg pinned
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": ISSUER},
            aud={"essential": True, "value": AUDIENCE},
            exp={"essential": True},
            sub={"essential": True},
        ).validate(decoded.claims)
        return int(decoded.claims["sub"])

    # endregion

    # region write
    def write_order(self, customer_id: int, product, quantity: int, request=None) -> OrderOut:
        # One transaction: the order, its item and the outbox event, or nothing.
        with self.engine.begin() as connection:
            order_id = connection.execute(
                insert(Order)
                .values(customer_id=customer_id, status="placed", created_at=datetime.now(UTC))
                .returning(Order.id)
            ).scalar_one()
            connection.execute(
                insert(OrderItem).values(
                    order_id=order_id,
                    product_id=product.id,
                    quantity=quantity,
                    unit_price_cents=product.price_cents,
                )
            )
            payload = json.dumps({"order_id": order_id, "customer_id": customer_id})
            connection.execute(insert(outbox).values(topic="order_placed", payload=payload))
            if request is not None:
                self.hop("rows written", request)
            created = self.order_out(connection, order_id, customer_id)
        return created

    def order_out(self, connection, order_id: int, customer_id: int) -> OrderOut | None:
        row = connection.execute(
            select(Order.id, Order.customer_id, Order.status, Product.sku)
            .add_columns(OrderItem.quantity, OrderItem.unit_price_cents)
            .join(OrderItem, OrderItem.order_id == Order.id)
            .join(Product, Product.id == OrderItem.product_id)
            .where(Order.id == order_id, Order.customer_id == customer_id)  # ownership in the query
        ).first()
        if row is None:
            return None
        total = row.quantity * row.unit_price_cents
        return OrderOut(**row._mapping, total_cents=total)

    # endregion

    def _routes(self) -> FastAPI:
        app = FastAPI(title="Shop orders")
        bearer = HTTPBearer(auto_error=False)
        OrderIn = self.OrderIn

        # region plumbing
        @app.middleware("http")
        async def start_clock(request: Request, call_next):
            request.state.started = time.perf_counter()
            self.hops.clear()
            self.statements["count"] = 0
            return await call_next(request)

        @app.exception_handler(StarletteHTTPException)
        async def http_problem(request: Request, exc: StarletteHTTPException):
            response = problem_response(exc.status_code, str(exc.detail))
            response.headers.update(exc.headers or {})
            return response

        @app.exception_handler(RequestValidationError)
        async def validation_problem(request: Request, exc: RequestValidationError):
            self.hop("rejected by validation", request)
            errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
            return problem_response(422, "the request has invalid fields", errors=errors)

        # endregion

        # region routes
        def current_customer(
            request: Request,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        ) -> int:
            self.hop("http received", request)
            unauthorized = HTTPException(
                401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
            )
            if credentials is None:
                raise unauthorized
            try:
                customer_id = self.customer_from_token(credentials.credentials)
            except (JoseError, ValueError) as exc:
                raise unauthorized from exc
            self.hop("jwt verified", request)
            return customer_id

        @app.post("/v1/token", operation_id="login")
        def login(body: LoginIn) -> dict:
            return self.login(body)

        @app.post("/v1/orders", status_code=201, operation_id="place_order")
        def place_order(
            body: OrderIn, request: Request, customer_id: Annotated[int, Depends(current_customer)]
        ) -> OrderOut:
            self.hop("body validated", request)
            product = self.products.get(body.sku)
            if product is None:
                error = {"loc": ["body", "sku"], "msg": "no product has this SKU"}
                return problem_response(422, "the request has invalid fields", errors=[error])
            created = self.write_order(customer_id, product, body.quantity, request)
            self.hop("committed", request)
            location = {"Location": f"/v1/orders/{created.id}"}
            return JSONResponse(created.model_dump(), status_code=201, headers=location)

        @app.get("/v1/orders/{order_id}", operation_id="get_order")
        def get_order(
            order_id: int, customer_id: Annotated[int, Depends(current_customer)]
        ) -> OrderOut:
            with self.engine.connect() as connection:
                found = self.order_out(connection, order_id, customer_id)
            if found is None:  # missing or someone else's: the same answer
                raise HTTPException(404, "no such order")
            return found

        # endregion
        return app
