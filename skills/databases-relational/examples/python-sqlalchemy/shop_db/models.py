"""The shop schema in SQLAlchemy 2.0 typed declarative style.

Four tables: customers, products, orders, order_items. The database enforces the rules
that must never be broken (unique email, positive quantities, non-negative prices and
stock, existing parents), because application checks alone lose races.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Deterministic constraint names: without them PostgreSQL and SQLite invent different
# names (or none), and Alembic cannot drop or alter a constraint it cannot name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that always hands back aware UTC datetimes.

    PostgreSQL stores ``timestamptz`` natively; SQLite has no timezone storage and returns
    naive values. Normalising here means application code never compares naive with
    aware datetimes, whichever engine is underneath.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # A naive datetime is ambiguous; refusing it beats silently storing local time.
            raise ValueError("naive datetime given to a UTCDateTime column; attach a tzinfo")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    # server_default covers rows written by raw SQL or other services. The Python default
    # is what the ORM sends: it keeps one text format on SQLite (CURRENT_TIMESTAMP has no
    # fractional seconds, bound datetimes have six digits, and SQLite compares the text),
    # which keyset pagination on created_at depends on.
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utc_now, server_default=func.now()
    )
    # onupdate is ORM-side only; a database trigger would be needed to catch raw UPDATEs.
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utc_now, server_default=func.now(), onupdate=utc_now
    )


class Customer(TimestampMixin, Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)

    orders: Mapped[list[Order]] = relationship(back_populates="customer")

    def __repr__(self) -> str:
        return f"Customer(id={self.id!r}, email={self.email!r})"


class Product(TimestampMixin, Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_cents_non_negative"),
        CheckConstraint("stock >= 0", name="stock_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Integer cents: binary floats cannot represent 0.10 exactly.
    price_cents: Mapped[int]
    stock: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    def __repr__(self) -> str:
        return f"Product(id={self.id!r}, sku={self.sku!r})"


class Order(TimestampMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total_cents >= 0", name="total_cents_non_negative"),
        CheckConstraint(
            "status IN ('pending', 'paid', 'shipped', 'cancelled')", name="status_valid"
        ),
        # Leading customer_id indexes the foreign key; (created_at, id) after it serves
        # "this customer's orders, newest first" pages without a sort.
        Index("ix_orders_customer_id_created_at_id", "customer_id", "created_at", "id"),
        # Keyset pagination over all orders walks this index.
        Index("ix_orders_created_at_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    total_cents: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    customer: Mapped[Customer] = relationship(back_populates="orders")
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )

    def __repr__(self) -> str:
        return f"Order(id={self.id!r}, customer_id={self.customer_id!r})"


class OrderItem(TimestampMixin, Base):
    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_cents >= 0", name="unit_price_cents_non_negative"),
        # One line per product per order; its index also serves the order_id foreign key.
        UniqueConstraint("order_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="RESTRICT"), index=True
    )
    quantity: Mapped[int]
    # A copy of the price at purchase time: later price changes must not rewrite history.
    unit_price_cents: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()

    def __repr__(self) -> str:
        return f"OrderItem(id={self.id!r}, order_id={self.order_id!r})"
