"""The customers/products subset again, written with SQLModel, to compare.

One SQLModel class is both a Pydantic model and a SQLAlchemy table, so an API's request
and response schemas share field definitions with the table. The pattern from the
SQLModel docs: a fields class, a ``table=True`` class that adds the database-only columns,
and separate Create (input) and Read (output) schemas that never expose more than intended.

Two things differ from plain SQLAlchemy and bite people:

* ``SQLModel.metadata`` is one global MetaData. Two modules that both declare a
  ``customers`` table (say this file and a notebook) collide with "Table 'customers' is
  already defined". ``SQLModelBase`` below gets its own registry and MetaData.
* A ``table=True`` class does not validate on ``__init__``; validate the Create schema
  and convert with ``model_validate``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, MetaData, func
from sqlalchemy.orm import registry
from sqlmodel import Field, Session, SQLModel, select

from shop_db.models import NAMING_CONVENTION, UTCDateTime, utc_now

_registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))


class SQLModelBase(SQLModel, registry=_registry):
    """Root of this module's tables: its own mapper registry and MetaData, not the global."""


# --- customers ---------------------------------------------------------------------------


class CustomerFields(SQLModelBase):
    email: str = Field(max_length=320, unique=True)
    name: str = Field(min_length=1, max_length=200)


class Customer(CustomerFields, table=True):
    __tablename__ = "customers"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(
        default_factory=utc_now,
        sa_type=UTCDateTime,
        sa_column_kwargs={"server_default": func.now()},
    )


class CustomerCreate(CustomerFields):
    pass


class CustomerRead(CustomerFields):
    id: int
    created_at: datetime


# --- products ----------------------------------------------------------------------------


class ProductFields(SQLModelBase):
    sku: str = Field(max_length=64, unique=True)
    name: str = Field(min_length=1, max_length=200)
    price_cents: int = Field(ge=0)


class Product(ProductFields, table=True):
    __tablename__ = "products"
    # Field(ge=0) validates input schemas only; the CHECK guards every other writer.
    __table_args__ = (CheckConstraint("price_cents >= 0", name="price_cents_non_negative"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(
        default_factory=utc_now,
        sa_type=UTCDateTime,
        sa_column_kwargs={"server_default": func.now()},
    )


class ProductCreate(ProductFields):
    pass


class ProductRead(ProductFields):
    id: int
    created_at: datetime


# --- a few operations, SQLModel style ----------------------------------------------------


def create_customer(session: Session, data: CustomerCreate) -> CustomerRead:
    customer = Customer.model_validate(data)
    session.add(customer)
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.refresh(customer)
    return CustomerRead.model_validate(customer)


def create_product(session: Session, data: ProductCreate) -> ProductRead:
    product = Product.model_validate(data)
    session.add(product)
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.refresh(product)
    return ProductRead.model_validate(product)


def list_products(session: Session, *, max_price_cents: int | None = None) -> list[ProductRead]:
    stmt = select(Product).order_by(Product.id)
    if max_price_cents is not None:
        stmt = stmt.where(Product.price_cents <= max_price_cents)
    return [ProductRead.model_validate(p) for p in session.exec(stmt)]
