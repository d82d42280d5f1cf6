"""Alembic: the history applies both ways, and it matches the models exactly."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from shop_db.models import Base
from sqlalchemy import Column, Engine, MetaData, String, create_engine, inspect, text

EXAMPLE_DIR = Path(__file__).resolve().parents[1]
SHOP_TABLES = {"customers", "products", "orders", "order_items"}


@pytest.fixture
def migration_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    monkeypatch.setenv("DATABASE_URL", url)  # what env.py reads, as in production
    engine = create_engine(url)
    yield engine
    engine.dispose()


def alembic_config(sql_output: io.StringIO | None = None) -> Config:
    # output_buffer receives offline (--sql) output; stdout gets command chatter.
    config = Config(
        str(EXAMPLE_DIR / "alembic.ini"), output_buffer=sql_output, stdout=io.StringIO()
    )
    config.attributes["configure_logger"] = False
    return config


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_history_is_linear_and_named() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [(r.revision, r.down_revision) for r in script.walk_revisions()]
    assert revisions == [("0002", "0001"), ("0001", None)]
    files = sorted(p.name for p in (EXAMPLE_DIR / "migrations" / "versions").glob("*.py"))
    assert files == ["0001_initial.py", "0002_add_customer_phone.py"]


def test_upgrade_downgrade_upgrade(migration_db: Engine) -> None:
    config = alembic_config()
    assert tables(migration_db) == set()

    command.upgrade(config, "head")
    assert tables(migration_db) == SHOP_TABLES
    assert current_revision(migration_db) == "0002"

    command.downgrade(config, "base")
    assert tables(migration_db) == set()
    assert current_revision(migration_db) is None

    command.upgrade(config, "head")
    assert tables(migration_db) == SHOP_TABLES
    assert current_revision(migration_db) == "0002"


def test_second_migration_adds_phone_and_keeps_rows(migration_db: Engine) -> None:
    config = alembic_config()
    command.upgrade(config, "0001")
    columns = {c["name"] for c in inspect(migration_db).get_columns("customers")}
    assert "phone" not in columns
    with migration_db.begin() as conn:
        conn.execute(text("INSERT INTO customers (email, name) VALUES ('a@example.com', 'A')"))

    command.upgrade(config, "head")
    insp = inspect(migration_db)
    assert "phone" in {c["name"] for c in insp.get_columns("customers")}
    assert "ix_customers_phone" in {ix["name"] for ix in insp.get_indexes("customers")}
    with migration_db.connect() as conn:
        assert conn.execute(text("SELECT email, phone FROM customers")).all() == [
            ("a@example.com", None)
        ]

    command.downgrade(config, "0001")
    assert "phone" not in {c["name"] for c in inspect(migration_db).get_columns("customers")}


def test_migrations_match_the_models(migration_db: Engine) -> None:
    command.upgrade(alembic_config(), "head")
    with migration_db.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_the_comparison_would_notice_drift(migration_db: Engine) -> None:
    # Guards the test above against passing vacuously: a model change without a
    # migration must show up as a difference.
    command.upgrade(alembic_config(), "head")
    drifted = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["customers"].append_column(Column("nickname", String(40)))
    with migration_db.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), drifted)
    assert [d[0] for d in diffs] == ["add_column"]
    assert diffs[0][3].name == "nickname"


def test_offline_sql_for_review() -> None:
    # `alembic upgrade head --sql` renders the DDL for a DBA to review without connecting.
    out = io.StringIO()
    command.upgrade(alembic_config(out), "head", sql=True)
    sql = out.getvalue()
    assert "CREATE TABLE customers" in sql
    assert "ALTER TABLE customers ADD COLUMN phone VARCHAR(32)" in sql
    assert "UPDATE alembic_version SET version_num='0002'" in sql
