"""The hourly rollup per device, refreshed incrementally from a watermark.

The rollup holds every hour bucket that has closed: its end is at or before the hour the
watermark (the newest accepted reading) is in; ``materialized_until`` is that hour. A
refresh after each batch does two things, both by recomputing whole buckets from the raw
readings, the way TimescaleDB refreshes a continuous aggregate:

- materializes the buckets that closed since the last refresh
  (``materialized_until`` moved forward);
- recomputes every already materialized bucket that a newly accepted reading fell into
  (a late reading within the lateness window): the invalidation.

Readings beyond the lateness window never reach the readings table (the store sets them
aside), so a bucket whose end is more than the window behind the watermark can no longer
change: it is final. Because the window bounds how far back a reading can land, it also
bounds what a refresh reads: the scan starts at the oldest touched bucket, never at the
start of the table. The invariant the tests hold it to: after every batch the rollup
equals a full recompute over the accepted readings, bucket for bucket.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

BUCKET = timedelta(hours=1)
# Before the first refresh nothing is materialized: "until the beginning of time".
NOTHING_MATERIALIZED = datetime(1, 1, 1)

SCHEMA = """
CREATE TABLE IF NOT EXISTS rollup_hourly (
    device VARCHAR NOT NULL,
    bucket TIMESTAMP NOT NULL,          -- the hour's start, UTC
    readings BIGINT NOT NULL,
    temperature_sum DOUBLE NOT NULL,
    temperature_min DOUBLE NOT NULL,
    temperature_max DOUBLE NOT NULL,
    humidity_sum DOUBLE NOT NULL,
    PRIMARY KEY (device, bucket)
)
"""

# A bucket keeps what can be added up again (count, sums, min, max), never an average: an
# average of a day, a device group or a coarser rollup is then sum(sums) / sum(counts),
# exact, where an average of averages is not. One definition, shared by the refresh and
# the full recompute, so their comparison tests the incremental bookkeeping.
AGGREGATES = """
    count(*) AS readings,
    sum(temperature) AS temperature_sum,
    min(temperature) AS temperature_min,
    max(temperature) AS temperature_max,
    sum(humidity) AS humidity_sum
"""
COLUMNS = (
    "device",
    "bucket",
    "readings",
    "temperature_sum",
    "temperature_min",
    "temperature_max",
    "humidity_sum",
)


def hour_of(ts: datetime) -> datetime:
    """The start of the hour bucket ``ts`` falls in (DuckDB's time_bucket for 1 hour)."""
    return ts.replace(minute=0, second=0, microsecond=0)


def refresh(
    con: duckdb.DuckDBPyConnection,
    *,
    touched: str,
    oldest_touched: datetime | None,
    materialized_until: datetime | None,
    new_until: datetime,
) -> None:
    """Bring rollup_hourly up to ``new_until``.

    ``touched`` is a relation (a table name or a parenthesized query) of the (device, ts)
    rows just added to readings, the oldest at ``oldest_touched``; the buckets they fell
    into before ``materialized_until`` are recomputed. Runs inside the caller's
    transaction, so a batch and its rollup commit together.
    """
    old_until = materialized_until or NOTHING_MATERIALIZED
    scan_from = old_until if oldest_touched is None else min(old_until, hour_of(oldest_touched))
    if scan_from >= new_until:
        return  # nothing closed and nothing materialized was touched
    con.execute(
        f"""
        INSERT OR REPLACE INTO rollup_hourly
        WITH invalidated AS (
            SELECT DISTINCT device, time_bucket(INTERVAL 1 HOUR, ts) AS bucket
            FROM {touched}
            WHERE ts < $old_until
        ),
        scope AS (
            SELECT device, time_bucket(INTERVAL 1 HOUR, ts) AS bucket, temperature, humidity
            FROM readings
            WHERE ts >= $scan_from AND ts < $new_until  -- zone maps skip older row groups
        )
        SELECT device, bucket, {AGGREGATES}
        FROM scope
        WHERE bucket >= $old_until  -- closed since the last refresh
           OR (device, bucket) IN (SELECT device, bucket FROM invalidated)
        GROUP BY device, bucket
        """,
        {"old_until": old_until, "scan_from": scan_from, "new_until": new_until},
    )


def full_recompute(con: duckdb.DuckDBPyConnection, until: datetime | None) -> list[tuple]:
    """Every closed bucket computed from scratch over the accepted readings."""
    if until is None:
        return []
    return con.execute(
        f"""
        SELECT device, bucket, {AGGREGATES}
        FROM (
            SELECT device, time_bucket(INTERVAL 1 HOUR, ts) AS bucket, temperature, humidity
            FROM readings WHERE ts < $until
        )
        GROUP BY device, bucket
        ORDER BY device, bucket
        """,
        {"until": until},
    ).fetchall()


def materialized(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The rollup table as it stands, in the order full_recompute returns."""
    columns = ", ".join(COLUMNS)
    return con.execute(f"SELECT {columns} FROM rollup_hourly ORDER BY device, bucket").fetchall()


def live_buckets(con: duckdb.DuckDBPyConnection, device: str, since: datetime | None) -> list:
    """The device's buckets not materialized yet, computed from the raw readings on read
    (TimescaleDB's real-time aggregate: the rollup plus the newest raw rows)."""
    return con.execute(
        f"""
        SELECT device, bucket, {AGGREGATES}
        FROM (
            SELECT device, time_bucket(INTERVAL 1 HOUR, ts) AS bucket, temperature, humidity
            FROM readings WHERE device = $device AND ts >= $since
        )
        GROUP BY device, bucket
        ORDER BY bucket
        """,
        {"device": device, "since": since or NOTHING_MATERIALIZED},
    ).fetchall()


def device_buckets(
    con: duckdb.DuckDBPyConnection,
    device: str,
    *,
    materialized_until: datetime | None,
    final_before: datetime | None,
) -> list[dict]:
    """A device's hourly rows, oldest first, each with its state: "final" (no reading can
    change it any more), "revisable" (materialized, late readings may still revise it) or
    "open" (the current hour, computed from raw readings on read)."""
    columns = ", ".join(COLUMNS)
    stored = con.execute(
        f"SELECT {columns} FROM rollup_hourly WHERE device = $device ORDER BY bucket",
        {"device": device},
    ).fetchall()
    rows = []
    for row in stored:
        final = final_before is not None and row[1] + BUCKET <= final_before
        rows.append(_as_dict(row, "final" if final else "revisable"))
    if materialized_until is not None:
        rows += [_as_dict(row, "open") for row in live_buckets(con, device, materialized_until)]
    return rows


def _as_dict(row: tuple, state: str) -> dict:
    device, bucket, readings, t_sum, t_min, t_max, h_sum = row
    return {
        "device": device,
        "hour": bucket.isoformat() + "Z",
        "readings": readings,
        "temperature_avg": round(t_sum / readings, 3),
        "temperature_min": t_min,
        "temperature_max": t_max,
        "humidity_avg": round(h_sum / readings, 3),
        "state": state,
    }
