"""A continuous aggregate built by hand on DuckDB (07-04): rollups, watermarks, invalidations.

TimescaleDB's continuous aggregates keep a rollup of a hypertable up to date without
recomputing it. This module does the same with plain tables, so every moving part shows:

- ``readings``: the raw rows (a hypertable's role);
- ``rollup_1m`` and ``rollup_1h``: per sensor and bucket, the *state* of the aggregate
  (count, sum, min, max), never the average: an average is derived when it is read;
- ``watermarks``: for each rollup, the end of the range it has materialized;
- ``invalid_1m`` and ``invalid_1h``: the invalidation logs. A row that lands in a bucket
  already materialized marks that bucket stale; the next refresh recomputes exactly the
  stale buckets and the new ones between the old and the new watermark.

``rollup_1h`` is a rollup of ``rollup_1m`` (a hierarchical continuous aggregate): a
refresh of the minutes marks the hours they belong to stale in ``invalid_1h``.
Temperatures and humidities are DECIMALs, so sums are exact and an incrementally kept
rollup can be compared with a full recompute for equality, not within a tolerance.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from backend_skills.offline_duckdb import connect


# region schema
@dataclass(frozen=True)
class Level:
    """One rollup: its table, its bucket width, what it reads, and whose log it feeds."""

    name: str  # "1m" or "1h"
    width: str  # a DuckDB interval
    source: str  # the table it aggregates
    source_time: str  # that table's time column
    state: str  # the SELECT list that aggregates the source into this level's state
    feeds: str | None  # the level whose buckets this one's buckets fall into


FROM_RAW = """count(*)::INTEGER AS n,
    sum(temperature)::DECIMAL(18, 3) AS temp_sum,
    min(temperature) AS temp_min, max(temperature) AS temp_max,
    sum(humidity)::DECIMAL(18, 2) AS hum_sum,
    min(humidity) AS hum_min, max(humidity) AS hum_max"""
# A coarser bucket from finer states: counts and sums add up, minima of minima, maxima of maxima.
FROM_STATE = """sum(n)::INTEGER AS n,
    sum(temp_sum)::DECIMAL(18, 3) AS temp_sum,
    min(temp_min) AS temp_min, max(temp_max) AS temp_max,
    sum(hum_sum)::DECIMAL(18, 2) AS hum_sum,
    min(hum_min) AS hum_min, max(hum_max) AS hum_max"""

STATE_COLUMNS = ("n", "temp_sum", "temp_min", "temp_max", "hum_sum", "hum_min", "hum_max")
LEVELS = {
    "1m": Level("1m", "1 minute", "readings", "ts", FROM_RAW, feeds="1h"),
    "1h": Level("1h", "1 hour", "rollup_1m", "bucket", FROM_STATE, feeds=None),
}
EPOCH = datetime(1970, 1, 1)  # a watermark before any reading: nothing materialized yet

SCHEMA = """
CREATE TABLE readings (
    ts TIMESTAMP NOT NULL, sensor VARCHAR NOT NULL,
    temperature DECIMAL(6, 3), humidity DECIMAL(5, 2));
CREATE TABLE watermarks (level VARCHAR PRIMARY KEY, materialized_until TIMESTAMP NOT NULL);
"""
ROLLUP = """
CREATE TABLE rollup_{name} (
    sensor VARCHAR NOT NULL, bucket TIMESTAMP NOT NULL, n INTEGER NOT NULL,
    temp_sum DECIMAL(18, 3), temp_min DECIMAL(6, 3), temp_max DECIMAL(6, 3),
    hum_sum DECIMAL(18, 2), hum_min DECIMAL(5, 2), hum_max DECIMAL(5, 2));
CREATE TABLE invalid_{name} (sensor VARCHAR NOT NULL, bucket TIMESTAMP NOT NULL);
"""
# endregion


@dataclass(frozen=True)
class Refresh:
    """What one refresh of one level did."""

    level: str
    watermark_before: datetime
    watermark_after: datetime
    invalid: int  # stale buckets (from the invalidation log) recomputed
    new: int  # buckets between the old and the new watermark, computed for the first time
    full_rebuild: int  # buckets a full recompute would have computed

    @property
    def recomputed(self) -> int:
        return self.invalid + self.new

    def row(self, label: str) -> dict:
        return {
            "refresh": label,
            "level": self.level,
            "watermark": f"{self.watermark_after:%Y-%m-%d %H:%M}",
            "stale recomputed": self.invalid,
            "new": self.new,
            "recomputed": self.recomputed,
            "full rebuild": self.full_rebuild,
            "share": f"{self.recomputed / max(self.full_rebuild, 1):.1%}",
        }


class RollupStore:
    """The raw table, the two rollups and their bookkeeping in one DuckDB file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.con = connect(self.path)
        self.con.execute(SCHEMA)
        for name in LEVELS:
            self.con.execute(ROLLUP.format(name=name))
            self.con.execute("INSERT INTO watermarks VALUES (?, ?)", [name, EPOCH])
        self.horizon: datetime | None = None  # set by the retention policy
        self.refused = 0  # rows refused because they are older than the retention horizon

    def sql(self, query: str, params: list | None = None) -> pd.DataFrame:
        return self.con.execute(query, params or []).df()

    def scalar(self, query: str, params: list | None = None):
        return self.con.execute(query, params or []).fetchall()[0][0]

    def watermark(self, level: str) -> datetime:
        return self.scalar("SELECT materialized_until FROM watermarks WHERE level = ?", [level])

    def pending(self, level: str = "1m") -> int:
        """Buckets of LEVEL marked stale and not yet recomputed."""
        return self.scalar(f"SELECT count(*) FROM invalid_{level}")

    # region ingest
    def ingest(self, frame: pd.DataFrame) -> int:
        """Insert FRAME's rows; log the materialized buckets they change. Returns the log's growth.

        TimescaleDB does this in a trigger on the hypertable; DuckDB has no triggers, so the
        write path does it: every writer must go through here.
        """
        if self.horizon is not None:  # past the retention horizon: the raw range is gone
            old = frame["ts"] < self.horizon
            self.refused += int(old.sum())
            frame = frame[~old]
        before = self.pending("1m")
        self.con.register("batch", frame)
        try:
            self.con.execute("BEGIN")
            self.con.execute(
                "INSERT INTO readings SELECT ts, sensor, temperature, humidity FROM batch"
            )
            self.con.execute(
                """INSERT INTO invalid_1m
                SELECT DISTINCT sensor, time_bucket(INTERVAL '1 minute', ts) AS bucket FROM batch
                WHERE bucket < (SELECT materialized_until FROM watermarks WHERE level = '1m')
                  AND (sensor, bucket) NOT IN (SELECT sensor, bucket FROM invalid_1m)"""
            )
            self.con.execute("COMMIT")
        finally:
            self.con.unregister("batch")
        return self.pending("1m") - before

    # endregion

    # region refresh
    def refresh(self) -> list[Refresh]:
        """Refresh the minute rollup from the raw rows, then the hour rollup from the minutes."""
        newest = self.scalar("SELECT max(ts) FROM readings")
        minutes = self._refresh_level(LEVELS["1m"], newest)
        hours = self._refresh_level(LEVELS["1h"], minutes.watermark_after)
        return [minutes, hours]

    def _refresh_level(self, level: Level, source_until: datetime) -> Refresh:
        # The bucket holding the source's newest row is still filling: materialize only
        # the buckets before it (TimescaleDB's end_offset plays this part).
        before = self.watermark(level.name)
        after = self.scalar(
            f"SELECT time_bucket(INTERVAL '{level.width}', ?::TIMESTAMP)", [source_until]
        )
        after = max(after, before)
        bucket = f"time_bucket(INTERVAL '{level.width}', s.{level.source_time})"
        low = self.horizon or EPOCH  # never recompute a bucket whose raw rows were dropped
        con = self.con
        con.execute("BEGIN")
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE todo AS
            SELECT sensor, bucket, true AS stale FROM invalid_{level.name} WHERE bucket >= ?
            UNION ALL
            SELECT DISTINCT sensor, {bucket} AS bucket, false FROM {level.source} s
            WHERE s.{level.source_time} >= ? AND s.{level.source_time} < ?""",
            [low, before, after],
        )
        con.execute(
            f"""DELETE FROM rollup_{level.name}
            WHERE (sensor, bucket) IN (SELECT sensor, bucket FROM todo)"""
        )
        con.execute(
            f"""INSERT INTO rollup_{level.name}
            SELECT s.sensor, {bucket} AS b, {level.state}
            FROM {level.source} s JOIN todo ON s.sensor = todo.sensor AND {bucket} = todo.bucket
            GROUP BY s.sensor, b"""
        )
        if level.feeds:  # the coarser rollup's buckets that hold a recomputed bucket are stale
            coarse = LEVELS[level.feeds]
            con.execute(
                f"""INSERT INTO invalid_{coarse.name}
                SELECT DISTINCT sensor, time_bucket(INTERVAL '{coarse.width}', bucket) AS b
                FROM todo
                WHERE b < (SELECT materialized_until FROM watermarks WHERE level = ?)
                  AND (sensor, b) NOT IN (SELECT sensor, bucket FROM invalid_{coarse.name})""",
                [coarse.name],
            )
        invalid, new = con.execute(
            "SELECT count(*) FILTER (WHERE stale), count(*) FILTER (WHERE NOT stale) FROM todo"
        ).fetchall()[0]
        con.execute(f"DELETE FROM invalid_{level.name}")
        con.execute(
            "UPDATE watermarks SET materialized_until = ? WHERE level = ?", [after, level.name]
        )
        con.execute("COMMIT")
        full = self.scalar(f"SELECT count(*) FROM rollup_{level.name} WHERE bucket >= ?", [low])
        return Refresh(level.name, before, after, invalid, new, full)

    # endregion

    # region check
    def full_recompute(self, level: str, *, upto_watermark: bool = True) -> str:
        """SQL for LEVEL computed from scratch from the raw rows: over the range it has
        materialized, or over every raw row when UPTO_WATERMARK is false."""
        width = LEVELS[level].width
        until = (
            f"AND ts < (SELECT materialized_until FROM watermarks WHERE level = '{level}')"
            if upto_watermark
            else ""
        )
        return f"""SELECT sensor, time_bucket(INTERVAL '{width}', ts) AS bucket, {FROM_RAW}
            FROM readings WHERE ts >= '{self.horizon or EPOCH}' {until}
            GROUP BY ALL"""

    def differing(
        self, level: str = "1m", *, rollup: str | None = None, upto_watermark: bool = True
    ) -> pd.DataFrame:
        """The (sensor, bucket) keys where ROLLUP (LEVEL's table unless given) and a full
        recompute disagree: none when they are equal.

        A full outer join on the key compares every column exactly (counts, DECIMAL sums,
        min, max) and also catches a bucket that only one side has.
        """
        kept = rollup or f"SELECT * FROM rollup_{level}"
        full = self.full_recompute(level, upto_watermark=upto_watermark)
        unequal = " OR ".join(f"k.{c} IS DISTINCT FROM f.{c}" for c in STATE_COLUMNS)
        return self.sql(
            f"""SELECT sensor, bucket
            FROM (SELECT * FROM ({kept}) WHERE bucket >= '{self.horizon or EPOCH}') AS k
            FULL OUTER JOIN ({full}) AS f USING (sensor, bucket)
            WHERE {unequal}
            ORDER BY ALL"""
        )

    def invalidation_log(self, level: str = "1m") -> pd.DataFrame:
        return self.sql(f"SELECT sensor, bucket FROM invalid_{level} ORDER BY ALL")

    # endregion

    # region realtime
    def realtime_1m(self) -> str:
        """SQL of a real-time aggregate: the materialized minutes, plus the raw rows past the
        watermark aggregated at query time (what TimescaleDB's real-time aggregates UNION)."""
        return f"""SELECT * FROM rollup_1m
            UNION ALL
            SELECT sensor, time_bucket(INTERVAL '1 minute', ts) AS bucket, {FROM_RAW}
            FROM readings
            WHERE ts >= (SELECT materialized_until FROM watermarks WHERE level = '1m')
            GROUP BY ALL"""

    # endregion

    # region retention
    def horizon_for(self, days: int) -> datetime:
        """The start of the day DAYS days before the newest row: raw rows before it go.

        Whole days, as a hypertable of one-day chunks drops whole chunks.
        """
        newest = self.scalar("SELECT max(ts) FROM readings")
        return self.scalar(
            f"SELECT time_bucket(INTERVAL '1 day', ?::TIMESTAMP - INTERVAL '{days} days')",
            [newest],
        )

    def drop_raw_older_than(self, days: int) -> datetime:
        """Delete the raw rows before the horizon; the rollups stay. From then on, rows
        older than the horizon are refused and their buckets are never recomputed (a
        recompute would find the raw rows gone and undercount)."""
        horizon = self.horizon_for(days)
        self.con.execute("DELETE FROM readings WHERE ts < ?", [horizon])
        self.con.execute("CHECKPOINT")  # write the deletion to the file
        self.horizon = horizon
        return horizon

    # endregion


# region sizes
def table_sizes(store: RollupStore, tables: list[str], scratch: Path) -> pd.DataFrame:
    """Rows and bytes of each table: in a DuckDB file of its own, and as a Parquet file.

    DuckDB allocates its file in 256 KiB blocks, so a small table rounds up to a block or
    two; Parquet (zstd) gives the finer figure for small tables.
    """
    rows = []
    for table in tables:
        own_file = scratch / f"{table}.duckdb"
        own_file.unlink(missing_ok=True)
        store.con.execute(f"ATTACH '{own_file}' AS sizing")
        store.con.execute(f"CREATE TABLE sizing.{table} AS FROM main.{table}")
        store.con.execute("CHECKPOINT sizing")
        store.con.execute("DETACH sizing")
        parquet = scratch / f"{table}.parquet"
        store.con.execute(f"COPY {table} TO '{parquet}' (FORMAT parquet, COMPRESSION zstd)")
        rows.append(
            {
                "table": table,
                "rows": store.scalar(f"SELECT count(*) FROM {table}"),
                "duckdb_bytes": os.path.getsize(own_file),
                "parquet_bytes": os.path.getsize(parquet),
            }
        )
    return pd.DataFrame(rows)


def file_usage(store: RollupStore) -> dict:
    """The database file's size on disk and the bytes its used blocks hold."""
    store.con.execute("CHECKPOINT")
    block, used, free = store.con.execute(
        "SELECT block_size, used_blocks, free_blocks FROM pragma_database_size()"
    ).fetchall()[0]
    return {
        "file_bytes": os.path.getsize(store.path),
        "used_bytes": block * used,
        "free_bytes": block * free,
    }


# endregion
