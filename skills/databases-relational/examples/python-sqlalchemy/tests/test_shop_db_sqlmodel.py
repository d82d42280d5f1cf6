"""The SQLModel variant: round trip, its own MetaData, and where validation happens."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from pydantic import ValidationError
from shop_db import repository as repo
from shop_db import sqlmodel_models as sm
from shop_db.db import make_engine, make_session_factory
from shop_db.models import Base
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select


def test_round_trip(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sqlmodel.db'}")
    sm.SQLModelBase.metadata.create_all(engine)
    with Session(engine) as session:
        ada = sm.create_customer(session, sm.CustomerCreate(email="ada@example.com", name="Ada"))
        cheap = sm.create_product(
            session, sm.ProductCreate(sku="A", name="Pencil", price_cents=120)
        )
        sm.create_product(session, sm.ProductCreate(sku="B", name="Pen", price_cents=900))

        assert isinstance(ada, sm.CustomerRead) and ada.id == 1
        assert ada.created_at.tzinfo is UTC
        assert sm.list_products(session, max_price_cents=500) == [cheap]
        assert [p.sku for p in sm.list_products(session)] == ["A", "B"]

        with pytest.raises(IntegrityError):
            sm.create_customer(session, sm.CustomerCreate(email="ada@example.com", name="Twin"))
        assert [c.name for c in session.exec(select(sm.Customer))] == ["Ada"]
    engine.dispose()


def test_tables_live_in_their_own_metadata() -> None:
    assert set(sm.SQLModelBase.metadata.tables) == {"customers", "products"}
    # Nothing leaked into SQLModel's process-wide MetaData, so another module may still
    # declare its own "customers" table without "already defined" errors.
    assert "customers" not in SQLModel.metadata.tables
    assert sm.SQLModelBase.metadata is not Base.metadata
    assert sm.Customer.__table__ is not Base.metadata.tables["customers"]


def test_input_validation_lives_in_the_create_schema() -> None:
    with pytest.raises(ValidationError):
        sm.ProductCreate(sku="X", name="Refund", price_cents=-1)
    with pytest.raises(ValidationError):
        sm.CustomerCreate(email="a" * 321, name="Long")
    # table=True models skip validation on __init__ (SQLModel's documented behaviour):
    # this is why the CHECK constraint exists as well.
    unchecked = sm.Product(sku="X", name="Refund", price_cents=-1)
    assert unchecked.price_cents == -1


def test_database_check_catches_what_validation_skipped(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'check.db'}")
    sm.SQLModelBase.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(sm.Product(sku="X", name="Refund", price_cents=-1))
        with pytest.raises(IntegrityError, match="price_cents_non_negative"):
            session.commit()
    engine.dispose()


def test_both_mappings_share_one_database(tmp_path: Path) -> None:
    # The SQLModel classes map a subset of the real columns, so they can work against the
    # full schema: what one writes, the other reads.
    engine = make_engine(f"sqlite:///{tmp_path / 'both.db'}")
    Base.metadata.create_all(engine)
    assert "phone" in {c["name"] for c in inspect(engine).get_columns("customers")}
    with Session(engine) as session:
        sm.create_customer(session, sm.CustomerCreate(email="sql@example.com", name="SQLModel"))
    with make_session_factory(engine)() as session:
        written = repo.get_customer_by_email(session, "sql@example.com")
        assert written is not None and written.phone is None
        assert written.updated_at is not None  # filled by the server default
        repo.create_customer(session, email="orm@example.com", name="ORM")
    with Session(engine) as session:
        names = [c.name for c in session.exec(select(sm.Customer).order_by(sm.Customer.id))]
    assert names == ["SQLModel", "ORM"]
    engine.dispose()
