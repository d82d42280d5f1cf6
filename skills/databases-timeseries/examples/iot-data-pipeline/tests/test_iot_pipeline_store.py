"""The store: duplicates across batches and runs, late data against the watermark, one
transaction a batch, and answers that do not depend on where the batches were cut."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from iot_pipeline import rollup
from iot_pipeline.pipeline import DeadLetterFile
from iot_pipeline.store import Store, StoreError


def count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_reading_stored_by_an_earlier_batch_is_a_duplicate(open_store, run, make_line):
    store = open_store()
    lines = [make_line("dev-001", f"2026-03-02T08:00:0{s}Z") for s in range(4)]
    first = run(lines[:3], store)
    again = run(lines, store, max_rows=2)  # 3 retries across two batches, one new
    assert (first.accepted, first.duplicates) == (3, 0)
    assert (again.accepted, again.duplicates, again.batches) == (1, 3, 2)
    assert count(store.con, "readings") == 4


def test_late_within_the_window_is_accepted_and_beyond_it_set_aside(open_store, run, make_line):
    store = open_store(lateness_minutes=30)
    summary = run(
        [
            make_line("dev-001", "2026-03-02T09:00:00Z"),  # the watermark: 09:00
            make_line("dev-002", "2026-03-02T08:40:00Z"),  # 20 minutes behind: accepted
            make_line("dev-002", "2026-03-02T08:30:00Z"),  # exactly the window: accepted
            make_line("dev-003", "2026-03-02T08:29:59.999Z"),  # beyond: set aside
            make_line("dev-001", "2026-03-02T09:10:00Z"),  # the watermark moves: 09:10
            make_line("dev-003", "2026-03-02T08:35:00Z"),  # 35 behind 09:10: set aside
        ],
        store,
        max_rows=2,  # the watermark a message meets does not wait for its batch to end
    )
    assert (summary.accepted, summary.late_beyond_window) == (4, 2)
    assert store.con.execute(
        "SELECT device, ts, watermark FROM late_readings ORDER BY ts"
    ).fetchall() == [
        ("dev-003", datetime(2026, 3, 2, 8, 29, 59, 999000), datetime(2026, 3, 2, 9, 0)),
        ("dev-003", datetime(2026, 3, 2, 8, 35), datetime(2026, 3, 2, 9, 10)),
    ]
    assert store.state.watermark == datetime(2026, 3, 2, 9, 10)
    assert summary.watermark == "2026-03-02T09:10:00Z"


def test_a_zero_window_accepts_only_what_is_not_behind_the_watermark(open_store, run, make_line):
    store = open_store(lateness_minutes=0)
    summary = run(
        [
            make_line("dev-001", "2026-03-02T09:00:00Z"),
            make_line("dev-002", "2026-03-02T09:00:00Z"),  # level with it: accepted
            make_line("dev-002", "2026-03-02T08:59:59Z"),  # a second behind: set aside
        ],
        store,
    )
    assert (summary.accepted, summary.late_beyond_window) == (2, 1)


def test_the_summary_accounts_for_every_message(open_store, run, simulated):
    summary = run(simulated, open_store(), max_rows=1_000)
    parts = (summary.accepted, summary.duplicates, summary.dead_lettered)
    assert summary.messages == len(simulated) == sum(parts) + summary.late_beyond_window
    assert all(part > 0 for part in (*parts, summary.late_beyond_window))
    assert summary.batches == summary.flushes["size"] + summary.flushes["end"]


def test_where_the_batches_are_cut_changes_no_answer(open_store, run, simulated, tables):
    big = open_store(name="big.duckdb")
    small = open_store(name="small.duckdb")
    one = run(simulated, big, max_rows=5_000)
    many = run(simulated, small, max_rows=150)
    assert many.batches > 40 > 5 > one.batches
    counts = ("accepted", "duplicates", "dead_lettered", "late_beyond_window")
    assert [getattr(one, c) for c in counts] == [getattr(many, c) for c in counts]
    assert tables(big.con) == tables(small.con)


def test_ingesting_the_same_file_again_changes_nothing(
    open_store, run, simulated, tables, assert_rollup_is_recompute
):
    store = open_store()
    first = run(simulated, store, max_rows=1_000)
    before = tables(store.con)
    rollup_before = rollup.materialized(store.con)
    again = run(simulated, store, max_rows=1_000)
    assert (again.accepted, again.late_beyond_window) == (0, 0)
    assert again.duplicates == first.accepted + first.duplicates + first.late_beyond_window
    assert again.dead_lettered == first.dead_lettered  # malformed is malformed, every time
    assert tables(store.con) == before
    assert rollup.materialized(store.con) == rollup_before
    assert_rollup_is_recompute(store.con)


def test_a_run_cut_short_and_restarted_from_the_top_ends_where_one_run_would(
    open_store, run, simulated, tables
):
    whole = open_store(name="whole.duckdb")
    run(simulated, whole, max_rows=1_000)
    resumed = open_store(name="resumed.duckdb")
    run(simulated[: len(simulated) * 2 // 5], resumed, max_rows=1_000)  # the crash
    run(simulated, resumed, max_rows=1_000)  # the whole file again
    assert tables(resumed.con) == tables(whole.con)


def test_a_batch_that_fails_leaves_nothing_behind(open_store, run, make_line, monkeypatch):
    store = open_store()
    run([make_line("dev-001", "2026-03-02T08:00:00Z")], store)
    before = (count(store.con, "readings"), store.state)

    def broken_refresh(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rollup, "refresh", broken_refresh)
    with pytest.raises(RuntimeError, match="disk full"):
        run([make_line("dev-001", "2026-03-02T10:00:00Z")], store)
    assert (count(store.con, "readings"), store.state) == before
    monkeypatch.undo()
    assert run([make_line("dev-001", "2026-03-02T10:00:00Z")], store).accepted == 1


def test_timestamps_are_stored_as_utc(open_store, run, make_line):
    store = open_store()
    run([make_line("dev-001", "2026-03-02T10:30:00+02:00")], store)
    assert store.con.execute("SELECT ts FROM readings").fetchone()[0] == datetime(2026, 3, 2, 8, 30)


def test_dead_letters_go_to_their_file_with_position_and_reason(
    open_store, run, make_line, tmp_path
):
    letters = DeadLetterFile(tmp_path / "dead.jsonl")
    lines = [make_line("dev-001", "2026-03-02T08:00:00Z"), "{oops", make_line("x y", "z")]
    summary = run(lines, open_store(), dead_letters=letters)
    assert summary.dead_lettered == 2
    written = [json.loads(line) for line in letters.path.read_text().splitlines()]
    assert [(letter["position"], letter["message"]) for letter in written] == [
        (2, "{oops"),
        (3, lines[2]),
    ]
    assert written[0]["reason"].startswith("Invalid JSON")
    assert "device: String should match pattern" in written[1]["reason"]
    assert "ts: Input should be a valid datetime" in written[1]["reason"]


def test_no_dead_letters_no_file(open_store, run, make_line, tmp_path):
    letters = DeadLetterFile(tmp_path / "dead.jsonl")
    run([make_line("dev-001", "2026-03-02T08:00:00Z")], open_store(), dead_letters=letters)
    assert not letters.path.exists()


def test_the_window_of_the_last_run_is_kept_and_reused(open_store, tmp_path):
    open_store(lateness_minutes=45).close()
    store = Store.open(tmp_path / "pipeline.duckdb")
    try:
        assert store.lateness.total_seconds() == 45 * 60
    finally:
        store.close()


def test_a_path_that_cannot_be_a_database_is_a_store_error(tmp_path):
    (tmp_path / "notes.txt").write_text("not a database\n" * 100)
    for path, message in [
        (tmp_path, "is a directory"),
        (tmp_path / "missing" / "x.duckdb", "does not exist"),
        (tmp_path / "notes.txt", "cannot open"),
    ]:
        with pytest.raises(StoreError, match=message):
            Store.open(path)
