"""The course's shop schema (SQLModel) and a loader for the generated shop data.

The relational lessons teach modelling in their own notebook; the later flows (tables,
forms, dashboards, the API and auth skills) share this schema so they can start from data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, DateTime, MetaData, event, func, insert, select
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel, create_engine

from backend_skills.datasets import shop_rows

# Constraint names that are stable across engines, so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ShopModel(
    SQLModel, registry=registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))
):
    # Its own registry and MetaData: a lesson's own Customer or Order model cannot clash.
    pass


def _utc_column(index: bool = False) -> Column:
    return Column(DateTime(timezone=True), nullable=False, index=index)


class Customer(ShopModel, table=True):
    __tablename__ = "customer"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    email: str = Field(max_length=254, unique=True)
    country: str = Field(max_length=2)
    created_at: datetime = Field(sa_column=_utc_column())


class Product(ShopModel, table=True):
    __tablename__ = "product"
    __table_args__ = (CheckConstraint("price_cents >= 0", name="price_not_negative"),)
    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=120)
    category: str = Field(max_length=40, index=True)
    price_cents: int


class Order(ShopModel, table=True):
    __tablename__ = "orders"  # ORDER is a reserved word in SQL
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    status: str = Field(max_length=12, index=True)
    created_at: datetime = Field(sa_column=_utc_column(index=True))


class OrderItem(ShopModel, table=True):
    __tablename__ = "order_item"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    quantity: int
    unit_price_cents: int


TABLES = (Customer, Product, Order, OrderItem)


def make_engine(url: str | URL, **kwargs) -> Engine:
    """An engine; for SQLite with foreign keys enforced, WAL and a busy timeout."""
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    return engine


def create_shop(
    engine: Engine, *, seed: int = 42, customers: int = 200, orders: int = 1000
) -> dict[str, int]:
    """Create the shop tables and bulk-load generated rows; returns row counts per table."""
    ShopModel.metadata.drop_all(engine)
    ShopModel.metadata.create_all(engine)
    rows = shop_rows(seed=seed, customers=customers, orders=orders)
    with engine.begin() as connection:
        for model in TABLES:
            table = model.__table__
            if rows[table.name]:
                connection.execute(insert(table), rows[table.name])
            if engine.dialect.name == "postgresql":
                # The rows carry explicit ids; move the id sequence past them, or the next
                # INSERT without an id collides with row 1.
                connection.execute(
                    select(
                        func.setval(
                            func.pg_get_serial_sequence(table.name, "id"),
                            select(func.coalesce(func.max(table.c.id), 0) + 1).scalar_subquery(),
                            False,
                        )
                    )
                )
    return {name: len(values) for name, values in rows.items()}
