"""The schema enforces its rules in the database, not only in Python."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from shop_db import repository as repo
from shop_db.models import Customer, Order, OrderItem, Product
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session


def _customer(session: Session, email: str = "ada@example.com") -> Customer:
    return repo.create_customer(session, email=email, name="Ada")


def _product(session: Session, sku: str = "SKU-1", stock: int = 10) -> Product:
    return repo.create_product(session, sku=sku, name="Widget", price_cents=250, stock=stock)


def test_sqlite_connections_are_configured(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_constraints_follow_the_naming_convention(engine: Engine) -> None:
    insp = inspect(engine)
    assert insp.get_pk_constraint("orders")["name"] == "pk_orders"
    fk_names = {fk["name"] for fk in insp.get_foreign_keys("order_items")}
    assert fk_names == {"fk_order_items_order_id_orders", "fk_order_items_product_id_products"}
    checks = {ck["name"] for ck in insp.get_check_constraints("order_items")}
    assert "ck_order_items_quantity_positive" in checks
    uniques = {uq["name"] for uq in insp.get_unique_constraints("customers")}
    assert uniques == {"uq_customers_email"}


def test_every_foreign_key_is_indexed(engine: Engine) -> None:
    insp = inspect(engine)
    for table in insp.get_table_names():
        leading = [ix["column_names"] for ix in insp.get_indexes(table)]
        leading += [uq["column_names"] for uq in insp.get_unique_constraints(table)]
        for fk in insp.get_foreign_keys(table):
            cols = fk["constrained_columns"]
            assert any(ix[: len(cols)] == cols for ix in leading), (table, cols)


@pytest.mark.parametrize("quantity", [0, -1])
def test_quantity_must_be_positive(session: Session, quantity: int) -> None:
    customer, product = _customer(session), _product(session)
    order = Order(customer_id=customer.id)
    order.items.append(OrderItem(product_id=product.id, quantity=quantity, unit_price_cents=250))
    session.add(order)
    with pytest.raises(IntegrityError, match="ck_order_items_quantity_positive"):
        session.commit()


def test_price_cannot_be_negative(session: Session) -> None:
    with pytest.raises(IntegrityError, match="price_cents_non_negative"):
        repo.create_product(session, sku="NEG", name="Refund", price_cents=-1)


def test_email_is_unique(session: Session) -> None:
    _customer(session)
    with pytest.raises(IntegrityError, match="UNIQUE"):
        repo.create_customer(session, email="ada@example.com", name="Impostor")
    # The failed unit of work was rolled back, so the session is usable again.
    assert session.scalar(select(Customer.name)) == "Ada"


def test_foreign_key_is_enforced(session: Session) -> None:
    session.add(Order(customer_id=999))
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        session.commit()


def test_customer_with_orders_cannot_be_deleted(session: Session) -> None:
    customer, product = _customer(session), _product(session)
    repo.place_order(session, customer.id, [repo.OrderLine(product.id, 1)])
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        repo.delete_customer(session, customer.id)
    lonely = _customer(session, "lonely@example.com")
    assert repo.delete_customer(session, lonely.id) is True
    assert repo.get_customer(session, lonely.id) is None


def test_timestamps_are_aware_utc_and_updated_at_moves(session: Session) -> None:
    customer = _customer(session)
    assert customer.created_at.tzinfo is UTC
    session.expunge_all()
    reloaded = repo.get_customer(session, customer.id)
    assert reloaded is not None
    assert reloaded.created_at == customer.created_at
    assert reloaded.created_at.tzinfo is UTC
    before = reloaded.updated_at
    updated = repo.update_customer(session, customer.id, name="Ada L.")
    assert updated.updated_at > before
    assert updated.created_at == customer.created_at


def test_server_default_fills_timestamps_for_raw_sql(engine: Engine, session: Session) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (email, name) VALUES ('raw@example.com', 'Raw')"))
    raw = repo.get_customer_by_email(session, "raw@example.com")
    assert raw is not None
    assert abs((datetime.now(UTC) - raw.created_at).total_seconds()) < 60


def test_naive_datetimes_are_refused(session: Session) -> None:
    customer = _customer(session)
    customer.created_at = datetime(2024, 1, 1)  # noqa: DTZ001 - naive on purpose
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()
