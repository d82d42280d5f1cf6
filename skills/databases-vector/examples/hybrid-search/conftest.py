"""Fixtures: one searcher over the example's articles for the whole session.

The repository runs pytest from its root with --import-mode=importlib, where this
example's own ``pythonpath`` setting does not apply, so the folder is put on sys.path here.
Test modules get what they need through fixtures, never `from conftest import ...`: other
examples in the same run have a conftest too, and sys.modules has one slot.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parent
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))

from hybrid_search.corpus import load_articles  # noqa: E402
from hybrid_search.engine import HybridSearcher  # noqa: E402


@pytest.fixture(scope="session")
def example_dir() -> Path:
    return EXAMPLE_DIR


@pytest.fixture(scope="session")
def searcher() -> HybridSearcher:
    """The three methods over the 60 help articles (embedding them once, about 0.1 s)."""
    return HybridSearcher(load_articles())
