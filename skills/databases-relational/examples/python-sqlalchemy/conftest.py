"""Shared fixtures; also makes ``import shop_db`` work however pytest is started.

The repository runs pytest from its root with --import-mode=importlib, where this
example's own ``pythonpath`` setting does not apply, so the folder is put on sys.path here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parent
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))

from shop_db.db import make_engine, make_session_factory  # noqa: E402
from shop_db.models import Base  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    # A file, not :memory:, so that WAL and several connections behave as in production.
    return f"sqlite:///{tmp_path / 'shop.db'}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        yield session
