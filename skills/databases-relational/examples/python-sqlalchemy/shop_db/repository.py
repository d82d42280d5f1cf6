"""Queries and commands over the shop schema, written with ``select()`` and a ``Session``.

Convention: a *command* (create, update, delete, place an order) is one unit of work and
commits before it returns, or rolls back everything it did and re-raises. A *query* only
reads. Every value reaches the database as a bound parameter, never as SQL text.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, delete, or_, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from shop_db.models import Customer, Order, OrderItem, Product

MAX_PAGE_SIZE = 100


class OrderError(Exception):
    """An order cannot be placed; nothing was written."""


class UnknownProduct(OrderError):
    pass


class InsufficientStock(OrderError):
    pass


class InvalidQuantity(OrderError):
    pass


@dataclass(frozen=True)
class OrderLine:
    product_id: int
    quantity: int


@dataclass(frozen=True)
class Page:
    items: list[Order]
    next_cursor: str | None


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit what the block did, or roll all of it back if anything raises."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


# --- customers ---------------------------------------------------------------------------


def create_customer(
    session: Session, *, email: str, name: str, phone: str | None = None
) -> Customer:
    customer = Customer(email=email, name=name, phone=phone)
    with unit_of_work(session):
        session.add(customer)
    return customer


def get_customer(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def get_customer_by_email(session: Session, email: str) -> Customer | None:
    return session.scalars(select(Customer).where(Customer.email == email)).one_or_none()


def find_customers_by_name(session: Session, fragment: str, *, limit: int = 50) -> list[Customer]:
    # autoescape: a user's "%" or "_" is matched literally instead of acting as a wildcard.
    stmt = (
        select(Customer)
        .where(Customer.name.contains(fragment, autoescape=True))
        .order_by(Customer.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def update_customer(
    session: Session, customer_id: int, *, name: str | None = None, phone: str | None = None
) -> Customer:
    with unit_of_work(session):
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise LookupError(f"customer {customer_id} not found")
        if name is not None:
            customer.name = name
        if phone is not None:
            customer.phone = phone
    return customer


def delete_customer(session: Session, customer_id: int) -> bool:
    """Delete a customer without orders; the RESTRICT foreign key refuses otherwise."""
    with unit_of_work(session):
        result = session.execute(delete(Customer).where(Customer.id == customer_id))
    return result.rowcount == 1


# --- products ----------------------------------------------------------------------------


def create_product(
    session: Session, *, sku: str, name: str, price_cents: int, stock: int = 0
) -> Product:
    product = Product(sku=sku, name=name, price_cents=price_cents, stock=stock)
    with unit_of_work(session):
        session.add(product)
    return product


# --- orders ------------------------------------------------------------------------------


def _merged_in_lock_order(lines: Iterable[OrderLine]) -> list[OrderLine]:
    """One line per product, sorted by product_id: the order in which rows get locked.

    Every order locks its product rows in the same global order, so two orders naming the
    same products in opposite orders queue behind each other instead of each holding one
    row and waiting for the other's (a deadlock PostgreSQL resolves by killing one).
    """
    quantities: dict[int, int] = {}
    for line in lines:
        # Checked per line before merging: (A, 3) plus (A, -1) must not pass as (A, 2).
        if line.quantity <= 0:
            raise InvalidQuantity(f"quantity must be positive, got {line.quantity}")
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
    return [OrderLine(product_id, quantities[product_id]) for product_id in sorted(quantities)]


def place_order(session: Session, customer_id: int, lines: Iterable[OrderLine]) -> Order:
    """Create an order, its items and the stock decrements as one transaction.

    Lines naming the same product are merged into one item. Raises InvalidQuantity,
    UnknownProduct or InsufficientStock (checked here), or IntegrityError (checked by the
    database: unknown customer). In every case the order, its items and all stock changes
    are rolled back together.
    """
    merged = _merged_in_lock_order(lines)
    with unit_of_work(session):
        order = Order(customer_id=customer_id)
        session.add(order)
        total = 0
        for line in merged:
            # Check and decrement in one statement: two concurrent orders cannot both read
            # "enough stock" and then oversell, which a read-then-write in Python allows.
            # RETURNING reads the price under the row lock the UPDATE takes.
            price = session.scalar(
                update(Product)
                .where(Product.id == line.product_id, Product.stock >= line.quantity)
                .values(stock=Product.stock - line.quantity)
                .returning(Product.price_cents)
            )
            if price is None:
                exists = session.scalar(select(Product.id).where(Product.id == line.product_id))
                if exists is None:
                    raise UnknownProduct(f"product {line.product_id} does not exist")
                raise InsufficientStock(f"not enough stock for product {line.product_id}")
            order.items.append(
                OrderItem(
                    product_id=line.product_id, quantity=line.quantity, unit_price_cents=price
                )
            )
            total += price * line.quantity
        order.total_cents = total
    return order


def _orders_with_items() -> Select[tuple[Order]]:
    # selectinload: one extra "WHERE id IN (...)" query per relationship, however many
    # orders were loaded. joinedload suits the many-to-one customer (no row multiplication).
    return select(Order).options(
        joinedload(Order.customer),
        selectinload(Order.items).selectinload(OrderItem.product),
    )


def list_orders(session: Session, *, customer_id: int | None = None) -> list[Order]:
    """All orders (newest first) with customer, items and products loaded up front."""
    stmt = _orders_with_items().order_by(Order.created_at.desc(), Order.id.desc())
    if customer_id is not None:
        stmt = stmt.where(Order.customer_id == customer_id)
    return list(session.scalars(stmt))


def encode_cursor(order: Order) -> str:
    raw = json.dumps([order.created_at.isoformat(), order.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at_text, order_id = json.loads(raw)
        created_at = datetime.fromisoformat(created_at_text)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError("invalid cursor") from exc
    if created_at.tzinfo is None or not isinstance(order_id, int):
        raise ValueError("invalid cursor")
    return created_at, order_id


def list_orders_page(
    session: Session,
    *,
    limit: int = 20,
    cursor: str | None = None,
    customer_id: int | None = None,
) -> Page:
    """One page of orders, newest first, by keyset on (created_at, id).

    Unlike OFFSET, the cursor names the last row seen, so rows inserted or deleted while a
    client pages do not shift later pages (no duplicates, no skips), and the database
    seeks through the (created_at, id) index instead of counting past skipped rows.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
    # id breaks ties: many rows can share a created_at, and without a unique tiebreaker
    # a page boundary inside a tie would skip or repeat rows.
    stmt = (
        _orders_with_items()
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(limit + 1)  # one extra row says whether another page exists
    )
    if customer_id is not None:
        stmt = stmt.where(Order.customer_id == customer_id)
    if cursor is not None:
        created_at, order_id = decode_cursor(cursor)
        # Spelled out rather than a row-value tuple_() comparison, which some engines
        # (SQL Server) lack; PostgreSQL and SQLite plan both as an index range scan.
        stmt = stmt.where(
            or_(
                Order.created_at < created_at,
                and_(Order.created_at == created_at, Order.id < order_id),
            )
        )
    rows: Sequence[Order] = session.scalars(stmt).all()
    items = list(rows[:limit])
    next_cursor = encode_cursor(items[-1]) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)
