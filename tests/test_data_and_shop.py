"""The shop generator is deterministic, and the shared schema enforces its constraints."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from backend_skills.datasets import generator, shop_rows
from backend_skills.paths import data_dir
from backend_skills.shop import Order, OrderItem, create_shop, make_engine


def test_same_seed_same_rows_other_seed_other_rows():
    first, again, other = (
        shop_rows(seed=3, customers=20, orders=50),
        shop_rows(seed=3, customers=20, orders=50),
        shop_rows(seed=4, customers=20, orders=50),
    )
    assert first == again
    assert first["orders"] != other["orders"]
    assert len(first["customer"]) == 20 and len(first["orders"]) == 50
    stamps = [o["created_at"] for o in first["orders"]]
    assert stamps == sorted(stamps)
    assert all(1 <= o["customer_id"] <= 20 for o in first["orders"])


def test_generator_rejects_bad_sizes_and_its_cli_says_so_in_one_line(run_main):
    with pytest.raises(ValueError):
        generator("shop").generate(customers=0)
    script = data_dir() / "generators" / "shop.py"
    spec = importlib.util.spec_from_file_location("shop_generator_script", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bad = run_main(module.main, "--customers", "0")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    good = run_main(module.main, "--customers", "3", "--orders", "4")
    assert good.returncode == 0, good.stderr
    assert len(json.loads(good.stdout)["orders"]) == 4
    # The script itself, once, for its entry point and exit code.
    real = subprocess.run([sys.executable, script, "--customers", "0"], capture_output=True)
    assert real.returncode == 2


def test_create_shop_loads_rows_and_enforces_constraints(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    counts = create_shop(engine, seed=1, customers=10, orders=30)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Order)) == counts["orders"] == 30
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            OrderItem.__table__.insert().values(
                order_id=1, product_id=1, quantity=0, unit_price_cents=100
            )
        )
    with pytest.raises(IntegrityError), engine.begin() as connection:  # foreign keys are on
        connection.execute(
            OrderItem.__table__.insert().values(
                order_id=999_999, product_id=1, quantity=1, unit_price_cents=100
            )
        )
