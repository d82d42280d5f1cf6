"""python -m iot_pipeline: every command in-process through main(argv), bad input as one
line and exit 2, and one real pipeline of processes: simulate | ingest -."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from iot_pipeline.__main__ import main
from iot_pipeline.simulator import simulate

EXAMPLE_DIR = Path(__file__).resolve().parents[1]
SUMMARY_KEYS = [
    "messages",
    "accepted",
    "late_within_window",
    "duplicates",
    "dead_lettered",
    "late_beyond_window",
    "batches",
    "flushes",
    "seconds",
    "rows_per_s",
    "watermark",
]


@pytest.fixture
def readings_file(tmp_path) -> Path:
    path = tmp_path / "readings.jsonl"
    path.write_text("".join(line + "\n" for line in simulate(3, 100, seed=4)))
    return path


def test_simulate_prints_the_seeded_lines(capsys):
    assert main(["simulate", "--devices", "2", "--minutes", "3", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    assert out == "".join(line + "\n" for line in simulate(2, 3, seed=4))


def test_simulate_takes_a_start_and_an_interval(capsys):
    argv = ["simulate", "--devices", "1", "--minutes", "1", "--start", "2026-07-01T12:00"]
    assert main([*argv, "--interval-seconds", "30"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2 and all(r["ts"].startswith("2026-07-01T12:00:") for r in lines)


def test_ingest_prints_one_line_of_json_and_writes_the_dead_letters(
    readings_file, tmp_path, capsys
):
    db = tmp_path / "pipeline.duckdb"
    assert main(["ingest", str(readings_file), "--db", str(db), "--batch-rows", "500"]) == 0
    out, err = capsys.readouterr()
    assert out.count("\n") == 1
    summary = json.loads(out)
    assert list(summary) == SUMMARY_KEYS
    assert summary["messages"] == len(readings_file.read_text().splitlines())
    assert summary["batches"] == sum(summary["flushes"].values()) > 2
    letters = tmp_path / "pipeline.dead-letters.jsonl"
    assert len(letters.read_text().splitlines()) == summary["dead_lettered"] > 0
    assert err == f"{summary['dead_lettered']} dead letters in {letters}\n"


def test_ingest_reads_stdin_and_takes_its_options(tmp_path, capsys, monkeypatch, make_line):
    lines = [make_line("dev-001", "2026-03-02T09:00:00Z"), make_line("dev-001", "bad")]
    lines.append(make_line("dev-002", "2026-03-02T08:00:00Z"))  # an hour behind
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("\n".join(lines).encode())))
    letters = tmp_path / "rejected.jsonl"
    argv = ["ingest", "-", "--db", str(tmp_path / "p.duckdb"), "--lateness-minutes", "90"]
    assert main([*argv, "--batch-seconds", "0.5", "--dead-letters", str(letters)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["accepted"], summary["dead_lettered"]) == (2, 1)
    assert letters.is_file()


def test_rollup_prints_a_device_s_hours_and_admit_late_and_export_work(
    readings_file, tmp_path, capsys
):
    db = tmp_path / "pipeline.duckdb"
    main(["ingest", str(readings_file), "--db", str(db)])
    late = json.loads(capsys.readouterr().out)["late_beyond_window"]
    assert main(["rollup", "--db", str(db), "--device", "dev-002"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["hour"][11:16] for row in rows] == ["00:00", "01:00"]
    assert [row["state"] for row in rows] == ["final", "open"]
    assert main(["admit-late", "--db", str(db)]) == 0
    assert json.loads(capsys.readouterr().out) == {"admitted": late}
    assert main(["export", "--db", str(db), "--out", str(tmp_path / "lake")]) == 0
    assert json.loads(capsys.readouterr().out)["days"] == []  # 2 March is not over


@pytest.fixture(scope="module")
def bad_input_paths(tmp_path_factory) -> dict[str, Path]:
    """A pipeline database with one reading, and the paths that are not one."""
    import duckdb
    from iot_pipeline.pipeline import ingest
    from iot_pipeline.store import Store

    folder = tmp_path_factory.mktemp("bad-input")
    store = Store.open(folder / "pipeline.duckdb")
    line = '{"device":"dev-001","ts":"2026-03-02T09:00:00Z","temperature":20,"humidity":50}'
    ingest([line], store)
    store.close()
    (folder / "notes.txt").write_text("not a database\n" * 100)
    duckdb.connect(str(folder / "empty.duckdb")).close()
    return {
        "db": folder / "pipeline.duckdb",
        "dir": folder,
        "missing": folder / "missing.jsonl",
        "notes": folder / "notes.txt",
        "empty_db": folder / "empty.duckdb",
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ingest", "{missing}", "--db", "{db}"], "no such file"),
        (["ingest", "{dir}", "--db", "{db}"], "Is a directory"),
        (["ingest", "-", "--db", "{db}", "--batch-rows", "0"], "--batch-rows: want 1..1000000"),
        (["ingest", "-", "--db", "{db}", "--batch-rows", "many"], "want a whole number"),
        (["ingest", "-", "--db", "{db}", "--batch-seconds", "nan"], "--batch-seconds: want 0"),
        (["ingest", "-", "--db", "{db}", "--lateness-minutes", "-5"], "--lateness-minutes"),
        (["ingest", "-", "--db", "{dir}"], "is a directory"),
        (["ingest", "-", "--db", "{dir}/no/such/p.duckdb"], "does not exist"),
        (["ingest", "-", "--db", "{notes}"], "cannot open"),
        (["ingest", "-"], "the following arguments are required: --db"),
        (["simulate", "--devices", "0"], "--devices: want 1..10000"),
        (["simulate", "--minutes", "1.5"], "--minutes: want a whole number"),
        (["simulate", "--start", "yesterday"], "--start: want an ISO 8601 time"),
        (["simulate", "--interval-seconds", "0.1"], "--interval-seconds: want 0.5..3600"),
        (["rollup", "--db", "{missing}", "--device", "dev-001"], "no such database"),
        (["rollup", "--db", "{notes}", "--device", "dev-001"], "cannot open"),
        (["rollup", "--db", "{empty_db}", "--device", "dev-001"], "not a pipeline database"),
        (["rollup", "--db", "{db}", "--device", "dev-999"], "--device: no readings for"),
        (["export", "--db", "{db}", "--out", "{notes}"], "--out: "),
        (["admit-late", "--db", "{missing}"], "no such database"),
        (["compact"], "invalid choice: 'compact'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, bad_input_paths, capsys):
    assert main([part.format(**bad_input_paths) for part in argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err, err


def test_the_commands_as_processes_simulate_piped_into_ingest(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(EXAMPLE_DIR)}
    command = [sys.executable, "-m", "iot_pipeline"]
    db = tmp_path / "pipeline.duckdb"
    simulator = subprocess.Popen(
        [*command, "simulate", "--devices", "3", "--minutes", "30", "--seed", "4"],
        stdout=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    ingest = subprocess.run(
        [*command, "ingest", "-", "--db", str(db), "--batch-seconds", "0.2"],
        stdin=simulator.stdout,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    simulator.stdout.close()
    assert simulator.wait(timeout=60) == 0
    assert ingest.returncode == 0, ingest.stderr
    summary = json.loads(ingest.stdout)
    assert list(summary) == SUMMARY_KEYS
    assert summary["messages"] == len(list(simulate(3, 30, seed=4)))
    assert summary["accepted"] > 0 and summary["rows_per_s"] > 0
    bad = subprocess.run(
        [*command, "ingest", "nowhere.jsonl", "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr == "error: nowhere.jsonl: no such file\n"
