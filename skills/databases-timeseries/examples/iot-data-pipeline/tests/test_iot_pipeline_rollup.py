"""The hourly rollup: incremental, revised by late data within the window, untouched by
data beyond it, and after every batch equal to a full recompute."""

from __future__ import annotations

from datetime import datetime

import pytest
from iot_pipeline import rollup


def hour(store, device: str, at: str):
    """The rollup row of DEVICE's hour starting AT ("08:00"), or None."""
    bucket = datetime.fromisoformat(f"2026-03-02T{at}")
    return store.con.execute(
        "SELECT readings, temperature_min, temperature_max FROM rollup_hourly "
        "WHERE device = $d AND bucket = $b",
        {"d": device, "b": bucket},
    ).fetchone()


def test_after_every_batch_the_rollup_equals_a_full_recompute(
    open_store, run, simulated, assert_rollup_is_recompute, monkeypatch
):
    store = open_store(lateness_minutes=30)
    write = store.write
    buckets_after_each_batch = []

    def write_then_check(readings):
        outcome = write(readings)
        buckets_after_each_batch.append(assert_rollup_is_recompute(store.con))
        return outcome

    monkeypatch.setattr(store, "write", write_then_check)
    summary = run(simulated, store, max_rows=400)
    assert len(buckets_after_each_batch) == summary.batches > 15
    assert buckets_after_each_batch[-1] == 4 * 2  # 4 devices x 2 closed hours
    assert summary.late_within_window > 50  # late readings revised materialized hours
    assert summary.late_beyond_window > 50  # and others were set aside


def test_a_late_reading_within_the_window_revises_its_materialized_hour(open_store, run, make_line):
    store = open_store(lateness_minutes=30)
    run(
        [
            make_line("dev-001", "2026-03-02T08:10:00Z", temperature=20.0),
            make_line("dev-001", "2026-03-02T08:50:00Z", temperature=22.0),
        ],
        store,
    )
    assert hour(store, "dev-001", "08:00") is None  # still the open hour
    run([make_line("dev-001", "2026-03-02T09:05:00Z")], store)  # the watermark passes 09:00
    assert hour(store, "dev-001", "08:00") == (2, 20.0, 22.0)  # materialized
    revised = run([make_line("dev-001", "2026-03-02T08:40:00Z", temperature=30.0)], store)
    assert (revised.accepted, revised.late_within_window) == (1, 1)  # 25 minutes behind
    assert hour(store, "dev-001", "08:00") == (3, 20.0, 30.0)
    too_late = run([make_line("dev-001", "2026-03-02T08:20:00Z", temperature=40.0)], store)
    assert (too_late.accepted, too_late.late_beyond_window) == (0, 1)  # 45 minutes behind
    assert hour(store, "dev-001", "08:00") == (3, 20.0, 30.0)  # untouched


def test_a_late_reading_into_the_open_hour_is_counted_when_the_hour_closes(
    open_store, run, make_line
):
    store = open_store(lateness_minutes=30)
    run([make_line("dev-001", "2026-03-02T08:50:00Z")], store)
    early = run([make_line("dev-001", "2026-03-02T08:30:00Z")], store)  # behind, hour open
    assert (early.accepted, early.late_within_window) == (1, 0)
    run([make_line("dev-002", "2026-03-02T09:00:00Z")], store)
    assert hour(store, "dev-001", "08:00")[0] == 2


def test_admitting_the_set_aside_readings_revises_final_hours_on_purpose(
    open_store, run, make_line, assert_rollup_is_recompute
):
    store = open_store(lateness_minutes=30)
    run(
        [
            make_line("dev-001", "2026-03-02T08:10:00Z"),
            make_line("dev-001", "2026-03-02T10:00:00Z"),
            make_line("dev-001", "2026-03-02T08:20:00Z", temperature=-5.0),  # set aside
            make_line("dev-002", "2026-03-02T07:00:00Z"),  # set aside, an hour of its own
        ],
        store,
    )
    assert hour(store, "dev-001", "08:00") == (1, 20.0, 20.0)
    assert store.admit_late() == 2
    assert hour(store, "dev-001", "08:00") == (2, -5.0, 20.0)
    assert hour(store, "dev-002", "07:00") == (1, 20.0, 20.0)
    assert store.con.execute("SELECT count(*) FROM late_readings").fetchone()[0] == 0
    assert_rollup_is_recompute(store.con)
    assert store.admit_late() == 0
    # Admitted readings are stored readings: a retry of one is a duplicate.
    again = run([make_line("dev-001", "2026-03-02T08:20:00Z", temperature=-5.0)], store)
    assert (again.duplicates, again.late_beyond_window) == (1, 0)


def test_a_refresh_recomputes_only_what_changed(open_store, run, make_line):
    """Proof that the refresh is incremental: a bucket nothing touched is not recomputed
    (here it was vandalized on purpose, so a full recompute would have repaired it)."""
    store = open_store(lateness_minutes=30)
    run(
        [
            make_line(device, f"2026-03-02T{h}:15:00Z")
            for h in ("08", "09", "10")
            for device in ("dev-001", "dev-002")
        ],
        store,
    )
    store.con.execute("UPDATE rollup_hourly SET readings = 99 WHERE bucket < '2026-03-02 10:00'")
    run(
        [
            make_line("dev-001", "2026-03-02T09:50:00Z"),  # revises dev-001 09:00 only
            make_line("dev-001", "2026-03-02T11:00:00Z"),  # closes 10:00
        ],
        store,
    )
    rows = store.con.execute(
        "SELECT device, strftime(bucket, '%H'), readings FROM rollup_hourly ORDER BY ALL"
    ).fetchall()
    assert rows == [
        ("dev-001", "08", 99),
        ("dev-001", "09", 2),
        ("dev-001", "10", 1),
        ("dev-002", "08", 99),
        ("dev-002", "09", 99),
        ("dev-002", "10", 1),
    ]


def test_each_hour_of_a_device_says_whether_it_can_still_change(open_store, run, make_line):
    store = open_store(lateness_minutes=30)
    lines = [
        make_line("dev-001", f"2026-03-02T{h}:{m}:00Z") for h in ("08", "09") for m in ("00", "30")
    ]
    run([*lines, make_line("dev-001", "2026-03-02T10:20:00Z")], store)

    def states():
        return [
            (row["hour"], row["readings"], row["state"])
            for row in rollup.device_buckets(
                store.con,
                "dev-001",
                materialized_until=store.state.materialized_until,
                final_before=store.state.final_before,
            )
        ]

    # The watermark is 10:20: 08:00 ended 80 minutes before it (final), 09:00 20 minutes
    # before it (a reading 30 minutes behind could still land in it), 10:00 is open.
    assert states() == [
        ("2026-03-02T08:00:00Z", 2, "final"),
        ("2026-03-02T09:00:00Z", 2, "revisable"),
        ("2026-03-02T10:00:00Z", 1, "open"),
    ]
    run([make_line("dev-001", "2026-03-02T10:40:00Z")], store)
    assert [state for _, _, state in states()] == ["final", "final", "open"]
    assert states()[-1][1] == 2  # the open hour is computed from the raw rows on read


@pytest.mark.parametrize("until", [None, datetime(2026, 3, 2)])
def test_an_empty_store_has_an_empty_rollup(open_store, until):
    store = open_store()
    assert rollup.materialized(store.con) == []
    assert rollup.full_recompute(store.con, until) == []
