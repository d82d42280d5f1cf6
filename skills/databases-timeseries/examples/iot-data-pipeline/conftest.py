"""Fixtures: no network beyond loopback in any test, and the example's folder on sys.path.

The repository runs pytest from its root with --import-mode=importlib, where this
example's own ``pythonpath`` setting does not apply, so the folder is put on sys.path here.
Tests get everything through fixtures, never `from conftest import ...`: other examples
have a conftest too, and sys.modules has one slot for the name.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parent
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))


def load_example_module(path: str) -> ModuleType:
    """Import a file of this folder under a name no other example uses."""
    spec = importlib.util.spec_from_file_location(
        f"iot_pipeline_{Path(path).stem}", EXAMPLE_DIR / path
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


network_guard = load_example_module("tests/network_guard.py")


@pytest.fixture(autouse=True)
def no_network() -> Iterator[None]:
    """Every test runs with connections and name look-ups beyond loopback refused."""
    with network_guard.NetworkGuard():
        yield


class FakeClock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_line() -> Callable[..., str]:
    """make_line(device, ts, temperature=20.0, humidity=50.0) -> one JSON message."""

    def _line(device: str, ts: str, temperature: float = 20.0, humidity: float = 50.0) -> str:
        return json.dumps(
            {"device": device, "ts": ts, "temperature": temperature, "humidity": humidity}
        )

    return _line


@pytest.fixture
def open_store(tmp_path: Path) -> Iterator[Callable]:
    """open_store(lateness_minutes=30, name="pipeline.duckdb") -> a Store on a fresh file
    in the test's folder, closed after the test."""
    from iot_pipeline.store import Store

    stores = []

    def _open(lateness_minutes: float = 30, name: str = "pipeline.duckdb"):
        stores.append(Store.open(tmp_path / name, timedelta(minutes=lateness_minutes)))
        return stores[-1]

    yield _open
    for store in stores:
        store.close()


@pytest.fixture
def run(clock: FakeClock) -> Callable:
    """run(lines, store, max_rows=..., **options) -> Summary: the pipeline with the fake
    clock, so batches close on size and at the end only (unless the test moves time)."""
    from iot_pipeline.pipeline import ingest

    def _run(lines, store, max_rows: int = 5_000, **options):
        return ingest(lines, store, max_rows=max_rows, clock=clock, **options)

    return _run


@pytest.fixture(scope="session")
def simulated() -> list[str]:
    """Two and a half hours of four devices (7,363 lines): every fault the simulator
    makes and, with a lateness window of 30 minutes, both kinds of late (within it and
    beyond); two hours materialized and one open."""
    from iot_pipeline.simulator import simulate

    return list(simulate(devices=4, minutes=150, seed=9))


@pytest.fixture
def tables() -> Callable:
    """tables(con) -> every table's rows, sorted: what two stores must agree on."""

    def _tables(con) -> dict[str, list[tuple]]:
        return {
            "readings": con.execute("SELECT * FROM readings ORDER BY ALL").fetchall(),
            "late_readings": con.execute("SELECT * FROM late_readings ORDER BY ALL").fetchall(),
            "state": con.execute(
                "SELECT watermark, materialized_until FROM pipeline_state"
            ).fetchall(),
        }

    return _tables


@pytest.fixture
def assert_rollup_is_recompute() -> Callable:
    """assert_rollup_is_recompute(con): rollup_hourly equals a full recompute over the
    accepted readings, bucket for bucket: counts, minima and maxima exactly, sums to 1e-9
    (a float sum's last bit depends on the order DuckDB adds the rows in)."""
    from iot_pipeline import rollup
    from iot_pipeline.store import read_state

    def _check(con) -> int:
        stored = rollup.materialized(con)
        expected = rollup.full_recompute(con, read_state(con).materialized_until)
        assert [row[:3] for row in stored] == [row[:3] for row in expected]
        for got, want in zip(stored, expected, strict=True):
            assert got[4:6] == want[4:6], (got, want)  # min and max
            assert got[3] == pytest.approx(want[3], rel=1e-9, abs=1e-9)
            assert got[6] == pytest.approx(want[6], rel=1e-9, abs=1e-9)
        return len(stored)

    return _check
