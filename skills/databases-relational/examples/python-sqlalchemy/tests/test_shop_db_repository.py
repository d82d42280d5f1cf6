"""Transactions, eager loading, keyset pagination and injection safety."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from shop_db import repository as repo
from shop_db.db import make_session_factory
from shop_db.models import Customer, Order, OrderItem, Product
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _seed_shop(session: Session, *, customers: int, orders_each: int) -> None:
    products = [
        repo.create_product(session, sku=f"SKU-{i}", name=f"P{i}", price_cents=100 * i, stock=10**6)
        for i in range(1, 4)
    ]
    for c in range(customers):
        customer = repo.create_customer(session, email=f"c{c}@example.com", name=f"C{c}")
        for _ in range(orders_each):
            lines = [repo.OrderLine(p.id, 1) for p in products]
            repo.place_order(session, customer.id, lines)


def _counts(engine: Engine) -> tuple[int, int, list[int]]:
    # A separate session (and connection) sees only what was committed.
    with make_session_factory(engine)() as fresh:
        orders = fresh.scalar(select(func.count()).select_from(Order))
        items = fresh.scalar(select(func.count()).select_from(OrderItem))
        stock = list(fresh.scalars(select(Product.stock).order_by(Product.id)))
    return orders, items, stock


# --- transactions ------------------------------------------------------------------------


def test_place_order_writes_order_items_and_stock(engine: Engine, session: Session) -> None:
    customer = repo.create_customer(session, email="ada@example.com", name="Ada")
    a = repo.create_product(session, sku="A", name="A", price_cents=250, stock=5)
    b = repo.create_product(session, sku="B", name="B", price_cents=1000, stock=1)

    order = repo.place_order(
        session, customer.id, [repo.OrderLine(a.id, 2), repo.OrderLine(b.id, 1)]
    )

    assert order.total_cents == 2 * 250 + 1000
    assert [(i.product_id, i.quantity, i.unit_price_cents) for i in order.items] == [
        (a.id, 2, 250),
        (b.id, 1, 1000),
    ]
    assert _counts(engine) == (1, 2, [3, 0])


@pytest.mark.parametrize(
    ("bad_line", "error"),
    [
        (lambda first, second: repo.OrderLine(second.id, 0), repo.InvalidQuantity),
        # Refused before merging: it would otherwise cancel part of the first line.
        (lambda first, second: repo.OrderLine(first.id, -1), repo.InvalidQuantity),
        (lambda first, second: repo.OrderLine(second.id, 999), repo.InsufficientStock),
        (lambda first, second: repo.OrderLine(4242, 1), repo.UnknownProduct),
    ],
    ids=["zero-quantity", "negative-quantity", "insufficient-stock", "unknown-product"],
)
def test_failed_order_rolls_back_completely(
    engine: Engine, session: Session, bad_line, error
) -> None:
    customer = repo.create_customer(session, email="ada@example.com", name="Ada")
    first = repo.create_product(session, sku="A", name="A", price_cents=250, stock=5)
    second = repo.create_product(session, sku="B", name="B", price_cents=100, stock=5)
    before = _counts(engine)
    assert before == (0, 0, [5, 5])

    # The good first line has already decremented stock when the bad line fails.
    with pytest.raises(error):
        repo.place_order(
            session, customer.id, [repo.OrderLine(first.id, 2), bad_line(first, second)]
        )

    assert _counts(engine) == before
    # The session is clean and usable after the rollback.
    repo.place_order(session, customer.id, [repo.OrderLine(first.id, 1)])
    assert _counts(engine) == (1, 1, [4, 5])


def test_lines_of_one_product_are_merged(engine: Engine, session: Session) -> None:
    customer = repo.create_customer(session, email="ada@example.com", name="Ada")
    a = repo.create_product(session, sku="A", name="A", price_cents=250, stock=5)
    b = repo.create_product(session, sku="B", name="B", price_cents=100, stock=5)

    # Listed out of id order and with A twice: one item per product, in lock order.
    order = repo.place_order(
        session,
        customer.id,
        [repo.OrderLine(b.id, 1), repo.OrderLine(a.id, 2), repo.OrderLine(a.id, 1)],
    )

    assert [(i.product_id, i.quantity) for i in order.items] == [(a.id, 3), (b.id, 1)]
    assert order.total_cents == 3 * 250 + 100
    assert _counts(engine) == (1, 2, [2, 4])


def test_order_for_unknown_customer_is_rejected(engine: Engine, session: Session) -> None:
    product = repo.create_product(session, sku="A", name="A", price_cents=1, stock=3)
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        repo.place_order(session, 12345, [repo.OrderLine(product.id, 1)])
    assert _counts(engine) == (0, 0, [3])


# --- eager loading versus N+1 ------------------------------------------------------------


@pytest.mark.parametrize("customers", [2, 10])
def test_selectinload_uses_constant_queries(
    engine: Engine, session: Session, customers: int
) -> None:
    _seed_shop(session, customers=customers, orders_each=2)
    session.expunge_all()  # nothing cached: every load must hit the database

    with count_queries(engine) as eager:
        orders = repo.list_orders(session)
        lines = sum(len(o.items) for o in orders)
        names = {item.product.name for o in orders for item in o.items}
        emails = {o.customer.email for o in orders}
    assert (len(orders), lines, len(names), len(emails)) == (
        2 * customers,
        6 * customers,
        3,
        customers,
    )
    # orders JOIN customers, then items IN (...), then products IN (...): 3, whatever the size.
    assert len(eager) == 3


@pytest.mark.parametrize("customers", [2, 10])
def test_lazy_loading_is_n_plus_one(engine: Engine, session: Session, customers: int) -> None:
    _seed_shop(session, customers=customers, orders_each=2)
    session.expunge_all()

    with count_queries(engine) as lazy:
        orders = list(session.scalars(select(Order)))
        lines = sum(len(o.items) for o in orders)  # each .items is a query
    assert lines == 6 * customers
    assert len(lazy) == 1 + len(orders)


# --- keyset pagination -------------------------------------------------------------------


def _orders_with_tied_timestamps(session: Session, n: int) -> list[int]:
    customer = repo.create_customer(session, email="pager@example.com", name="Pager")
    product = repo.create_product(session, sku="P", name="P", price_cents=1, stock=10**6)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(n):
        order = repo.place_order(session, customer.id, [repo.OrderLine(product.id, 1)])
        # Only 4 distinct timestamps, so most page boundaries fall inside a tie.
        order.created_at = base + timedelta(minutes=i % 4)
    session.commit()
    rows = session.execute(select(Order.id).order_by(Order.created_at.desc(), Order.id.desc()))
    return list(rows.scalars())


def _walk(session: Session, limit: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        page = repo.list_orders_page(session, limit=limit, cursor=cursor)
        seen += [o.id for o in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("limit", [1, 3, 7, 37, 100])
def test_cursor_pagination_visits_every_row_once(session: Session, limit: int) -> None:
    expected = _orders_with_tied_timestamps(session, 37)
    seen = _walk(session, limit)
    assert seen == expected  # same order, every row, no duplicates


def test_cursor_pagination_survives_inserts_while_paging(session: Session) -> None:
    expected = _orders_with_tied_timestamps(session, 10)
    customer_id = session.scalar(select(Customer.id))
    product_id = session.scalar(select(Product.id))
    first = repo.list_orders_page(session, limit=4)
    # A new order arrives (newest of all) between page 1 and page 2.
    repo.place_order(session, customer_id, [repo.OrderLine(product_id, 1)])

    keyset = [o.id for o in first.items]
    cursor = first.next_cursor
    while cursor is not None:
        page = repo.list_orders_page(session, limit=4, cursor=cursor)
        keyset += [o.id for o in page.items]
        cursor = page.next_cursor
    assert keyset == expected

    # OFFSET, for contrast: the insert shifts every row down one, so page 2 repeats a row.
    newest_first = (Order.created_at.desc(), Order.id.desc())
    offset_page_2 = session.scalars(select(Order.id).order_by(*newest_first).offset(4).limit(4))
    assert set(offset_page_2) & {o.id for o in first.items}


def test_customer_filter_and_bad_input(session: Session) -> None:
    expected = _orders_with_tied_timestamps(session, 5)
    other = repo.create_customer(session, email="other@example.com", name="Other")
    page = repo.list_orders_page(session, limit=10, customer_id=other.id)
    assert page.items == [] and page.next_cursor is None
    mine = session.scalar(select(Customer.id).where(Customer.email == "pager@example.com"))
    assert [o.id for o in repo.list_orders_page(session, customer_id=mine).items] == expected

    def b64(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode()

    naive = b64('["2025-01-01T00:00:00", 1]')
    for bad in [
        "",
        "%%%",
        b64("[1, 2]"),
        b64("{}"),
        b64('["2025-01-01T00:00:00+00:00", "1"]'),
        naive,
    ]:
        with pytest.raises(ValueError, match="invalid cursor"):
            repo.list_orders_page(session, cursor=bad)
    with pytest.raises(ValueError, match="limit"):
        repo.list_orders_page(session, limit=0)


# --- CRUD and injection ------------------------------------------------------------------


def test_customer_crud(session: Session) -> None:
    created = repo.create_customer(session, email="grace@example.com", name="Grace")
    assert repo.get_customer_by_email(session, "grace@example.com") == created
    repo.update_customer(session, created.id, phone="+1 555 0100")
    session.expunge_all()
    reloaded = repo.get_customer(session, created.id)
    assert reloaded is not None and reloaded.phone == "+1 555 0100"
    with pytest.raises(LookupError):
        repo.update_customer(session, 999, name="Nobody")
    assert repo.delete_customer(session, created.id) is True
    assert repo.delete_customer(session, created.id) is False


def test_injection_attempt_is_stored_as_data(engine: Engine, session: Session) -> None:
    evil = "x'); DROP TABLE customers;--"
    customer = repo.create_customer(session, email="evil@example.com", name=evil)
    session.expunge_all()

    assert repo.get_customer(session, customer.id).name == evil
    assert [c.name for c in repo.find_customers_by_name(session, "'); DROP")] == [evil]
    # No "table still exists" check: Python's sqlite3 runs one statement per execute(),
    # so a stacked DROP TABLE fails here even in pasted SQL. The course runs that attack
    # on PostgreSQL (tests/test_relational_fixes_on_postgresql.py), where it succeeds.


def test_injection_cannot_widen_a_query(engine: Engine, session: Session) -> None:
    repo.create_customer(session, email="ada@example.com", name="Ada")
    probe = "nobody@example.com' OR '1'='1"

    # The failure mode: the same input pasted into SQL text turns the WHERE into "true"
    # and hands an attacker somebody else's row.
    with engine.connect() as conn:
        pasted = conn.exec_driver_sql(f"SELECT email FROM customers WHERE email = '{probe}'")
        assert pasted.scalars().all() == ["ada@example.com"]

    # Bound as a parameter it is just an email address nobody has.
    assert repo.get_customer_by_email(session, probe) is None
    assert repo.find_customers_by_name(session, "' OR '1'='1") == []


def test_like_wildcards_in_search_are_literal(session: Session) -> None:
    repo.create_customer(session, email="a@example.com", name="Ada")
    repo.create_customer(session, email="b@example.com", name="100% Bob")
    assert [c.name for c in repo.find_customers_by_name(session, "%")] == ["100% Bob"]
    assert repo.find_customers_by_name(session, "A_a") == []
