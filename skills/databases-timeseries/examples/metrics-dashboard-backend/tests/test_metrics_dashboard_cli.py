"""python -m metrics_dashboard: bad input is one line and exit 2; a real process serves."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from metrics_dashboard.__main__ import main
from metrics_dashboard.schemas import IngestRequest
from metrics_dashboard.store import MetricsStore


@pytest.fixture
def db(tmp_path, make_points) -> Path:
    """A database holding ten days of hourly points up to the clock's now."""
    path = tmp_path / "metrics.duckdb"
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=10)
    store = MetricsStore(path)
    store.ingest(IngestRequest(points=make_points(240, start=start, step_s=3600)).points)
    store.close()
    return path


def bad_inputs(tmp_path: Path, db: Path) -> list[tuple[list[str], str]]:
    not_duckdb = tmp_path / "notes.duckdb"
    not_duckdb.write_text("hello")
    return [
        ([], "the following arguments are required: COMMAND"),
        (["compact"], "invalid choice: 'compact'"),
        (["serve"], "the following arguments are required: --db"),
        (["serve", "--db", str(db), "--port", "70000"], "--port must be 0..65535, got 70000"),
        (["serve", "--db", str(db), "--port", "eighty"], "invalid int value: 'eighty'"),
        (["serve", "--db", str(db), "--max-series", "0"], "--max-series must be at least 1"),
        (["serve", "--db", str(tmp_path)], "is a directory, not a DuckDB file"),
        (["serve", "--db", str(tmp_path / "nope" / "m.duckdb")], "does not exist"),
        (["serve", "--db", str(not_duckdb)], "not a valid DuckDB database file"),
        (["retention", "--db", str(db)], "the following arguments are required: --days"),
        (["retention", "--db", str(db), "--days", "0"], "--days must be at least 1, got 0"),
        (["retention", "--db", str(db), "--days", "three"], "invalid int value: 'three'"),
        (["retention", "--db", str(tmp_path / "m.duckdb"), "--days", "3"], "no such file"),
        (["refresh", "--db", str(not_duckdb)], "not a valid DuckDB database file"),
        (["retention", "--db", str(db), "--days", "3", "--force"], "unrecognized arguments"),
    ]


def test_bad_input_is_one_line_and_exit_2(tmp_path, db, capsys):
    for argv, message in bad_inputs(tmp_path, db):
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        assert captured.err.startswith("error: ") and message in captured.err, (argv, captured)
        assert captured.err.count("\n") == 1 and captured.out == ""


def test_retention_and_refresh_commands(db, capsys):
    assert main(["retention", "--db", str(db), "--days", "3"]) == 0
    out = capsys.readouterr().out
    # 240 hourly points up to now (the newest at now - 10 days + 239 h): the 168 before
    # now - 3 days go.
    assert out.startswith("dropped 168 raw points before ") and "rollups kept" in out
    store = MetricsStore(db)
    assert sum(row[2] for row in store.rollup_rows("1h")) == 240
    store.close()
    assert main(["refresh", "--db", str(db)]) == 0
    assert capsys.readouterr().out.startswith("refreshed 0 minutes and 0 hours; watermark ")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_module_serves_and_the_file_is_locked_while_it_does(example_dir, tmp_path, t0, capsys):
    """A real process: serves, holds the file (a second writer is refused, exit 1), stops on
    SIGTERM and lets go of it; bad input exits 2 without a traceback."""
    db, port = tmp_path / "served.duckdb", free_port()
    env = {**os.environ, "PYTHONPATH": str(example_dir)}
    command = [sys.executable, "-m", "metrics_dashboard"]
    process = subprocess.Popen(
        [*command, "serve", "--db", str(db), "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                if httpx.get(url + "/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass  # not listening yet
            assert time.monotonic() < deadline, "the server never answered"
            time.sleep(0.1)
        point = {"name": "up", "ts": t0.isoformat(), "value": 1}
        assert httpx.post(url + "/metrics", json={"points": [point]}).json()["created"] == 1
        busy = subprocess.run(
            [*command, "retention", "--db", str(db), "--days", "7"],
            env=env,
            capture_output=True,
            text=True,
        )
        assert busy.returncode == 1, busy.stderr
        assert busy.stderr.startswith("error: ") and "open in another process" in busy.stderr
        assert busy.stderr.count("\n") == 1
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "Application shutdown complete" in process.stderr.read()
    # Stopped, it has let go of the file: the retention command opens it (in-process here).
    assert main(["retention", "--db", str(db), "--days", "7"]) == 0
    assert capsys.readouterr().out.startswith("dropped 1 raw points")
    bad = subprocess.run(
        [*command, "retention", "--db", str(db), "--days", "-1"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
