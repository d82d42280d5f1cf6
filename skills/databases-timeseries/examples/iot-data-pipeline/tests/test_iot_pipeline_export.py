"""Final days to Parquet by DuckDB's COPY, partitioned by day, read back equal."""

from __future__ import annotations

from datetime import UTC, datetime

from iot_pipeline.export import export_final_days
from iot_pipeline.simulator import simulate

LATE_EVENING = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)


def exported(con, out) -> list[tuple]:
    return con.execute(
        "SELECT device, ts, temperature, humidity, day "
        "FROM read_parquet($glob, hive_partitioning = true) ORDER BY device, ts",
        {"glob": str(out / "*" / "*.parquet")},
    ).fetchall()


def stored_before(con, cutoff: str) -> list[tuple]:
    return con.execute(
        "SELECT device, ts, temperature, humidity, CAST(ts AS DATE) FROM readings "
        "WHERE ts < CAST($cutoff AS TIMESTAMP) ORDER BY device, ts",
        {"cutoff": cutoff},
    ).fetchall()


def test_only_days_that_can_no_longer_change_are_written(open_store, run, tmp_path):
    store = open_store(lateness_minutes=30)
    # 22:30 to 01:00: the watermark ends near 01:00, so 2 March is final and 3 March is not.
    run(simulate(devices=3, minutes=150, seed=1, start=LATE_EVENING), store)
    out = tmp_path / "lake"
    written = export_final_days(store.con, out)
    assert written == {"out": str(out), "days": ["2026-03-02"], "rows": written["rows"]}
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet")) == [
        "day=2026-03-02/data_0.parquet"
    ]
    rows = exported(store.con, out)
    assert rows == stored_before(store.con, "2026-03-03") and len(rows) == written["rows"]
    assert 3 * 90 * 12 * 0.8 < len(rows) <= 3 * 90 * 12  # 90 minutes of 3 devices


def test_exporting_again_rewrites_the_same_files_with_the_same_rows(open_store, run, tmp_path):
    store = open_store(lateness_minutes=30)
    run(simulate(devices=2, minutes=150, seed=2, start=LATE_EVENING), store)
    out = tmp_path / "lake"
    first = export_final_days(store.con, out)
    rows = exported(store.con, out)
    assert export_final_days(store.con, out) == first
    assert exported(store.con, out) == rows
    assert len(list(out.rglob("*.parquet"))) == 1


def test_a_day_becomes_final_when_the_watermark_is_the_window_past_its_end(
    open_store, run, make_line, tmp_path
):
    store = open_store(lateness_minutes=30)
    out = tmp_path / "lake"
    run(
        [
            make_line("dev-001", "2026-03-02T23:50:00Z"),
            make_line("dev-001", "2026-03-03T00:29:59Z"),
        ],
        store,
    )
    assert export_final_days(store.con, out) == {"out": str(out), "days": [], "rows": 0}
    assert not out.exists()  # nothing final, nothing written
    run([make_line("dev-001", "2026-03-03T00:30:00Z")], store)
    assert export_final_days(store.con, out)["days"] == ["2026-03-02"]
