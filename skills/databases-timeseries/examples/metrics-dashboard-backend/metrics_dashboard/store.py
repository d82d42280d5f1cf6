"""The DuckDB store: raw points, two rollups kept current incrementally, and retention.

Tables (one embedded file; DuckDB is columnar, so a scan of ``ts`` and ``value`` reads only
those columns, and its per-row-group min/max of ``ts`` skips what a time filter excludes):

- ``series``: one row per series key (name plus sorted labels), with a sequence id.
- ``points``: the raw points, primary key ``(series_id, ts)``: a retried batch finds its
  points already there and writes nothing.
- ``rollup_1m``, ``rollup_1h``: count, sum, min and max per series and bucket, from which
  the mean, and any coarser bucket, follow exactly (an average of averages would not).
- ``invalidated_minutes``: the 1-minute buckets that late points changed behind the
  watermark, as TimescaleDB's continuous aggregates keep an invalidation log.
- ``rollup_state``: the watermark (every bucket starting before it is current, except the
  invalidated ones) and the raw horizon (raw points before it were dropped by retention).

A refresh recomputes the buckets from the watermark to the newest point plus the
invalidated ones, 1-minute buckets from raw and 1-hour buckets from those minutes, then
moves the watermark: its cost follows what changed, not the size of the table.

Every value reaches SQL as a parameter. The only text put into SQL is a table or unit
name, chosen from LEVELS below and never from input.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np

from .schemas import (
    MIN_TS,
    Level,
    Point,
    RefreshResult,
    to_utc_naive,
)

# Extensions are neither downloaded nor loaded behind our back: everything used here is
# in DuckDB's core (TIMESTAMP, date_trunc, MAP), so the store works offline and the same
# on every machine.
CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

EPOCH = to_utc_naive(MIN_TS)  # the first watermark and raw horizon: nothing is older

SCHEMA = f"""
CREATE SEQUENCE IF NOT EXISTS series_ids START 1;
CREATE TABLE IF NOT EXISTS series (
    series_id BIGINT PRIMARY KEY,
    key VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    labels MAP(VARCHAR, VARCHAR) NOT NULL
);
CREATE TABLE IF NOT EXISTS points (
    series_id BIGINT NOT NULL,
    ts TIMESTAMP NOT NULL,
    value DOUBLE NOT NULL,
    PRIMARY KEY (series_id, ts)
);
CREATE TABLE IF NOT EXISTS rollup_1m (
    series_id BIGINT NOT NULL,
    bucket TIMESTAMP NOT NULL,
    count BIGINT NOT NULL,
    sum DOUBLE NOT NULL,
    min DOUBLE NOT NULL,
    max DOUBLE NOT NULL,
    PRIMARY KEY (series_id, bucket)
);
CREATE TABLE IF NOT EXISTS rollup_1h (
    series_id BIGINT NOT NULL,
    bucket TIMESTAMP NOT NULL,
    count BIGINT NOT NULL,
    sum DOUBLE NOT NULL,
    min DOUBLE NOT NULL,
    max DOUBLE NOT NULL,
    PRIMARY KEY (series_id, bucket)
);
CREATE TABLE IF NOT EXISTS invalidated_minutes (
    series_id BIGINT NOT NULL,
    bucket TIMESTAMP NOT NULL,
    PRIMARY KEY (series_id, bucket)
);
CREATE TABLE IF NOT EXISTS rollup_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    watermark TIMESTAMP NOT NULL,
    raw_horizon TIMESTAMP NOT NULL
);
INSERT INTO rollup_state VALUES (1, TIMESTAMP '{EPOCH:%Y-%m-%d %H:%M:%S}',
    TIMESTAMP '{EPOCH:%Y-%m-%d %H:%M:%S}') ON CONFLICT DO NOTHING;
"""


@dataclass(frozen=True)
class LevelTable:
    table: str
    column: str  # the time column
    unit: str | None  # date_trunc's unit for a rollup


LEVELS: dict[Level, LevelTable] = {
    "raw": LevelTable("points", "ts", None),
    "1m": LevelTable("rollup_1m", "bucket", "minute"),
    "1h": LevelTable("rollup_1h", "bucket", "hour"),
}


class InputRejected(ValueError):
    """Input the data makes invalid (not its shape): ``errors`` is [(loc, msg)], with loc
    as in a request (``("points", 3, "ts")``)."""

    def __init__(self, errors: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in errors))
        self.errors = errors


class UnknownSeries(LookupError):
    pass


@dataclass(frozen=True)
class IngestCounts:
    received: int
    created: int
    updated: int
    unchanged: int
    new_series: int
    late: int
    refresh: RefreshResult | None


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime  # raw points before this (UTC) were dropped
    dropped: int
    refresh: RefreshResult  # the refresh that ran first, so the rollups hold what went


@dataclass(frozen=True)
class Series:
    key: str
    name: str
    labels: dict[str, str]
    first: datetime | None
    last: datetime | None
    points: int


@dataclass(frozen=True)
class Read:
    """A level's rows in a range, as numpy arrays (microseconds since the epoch)."""

    level: Level
    t_us: np.ndarray
    value: np.ndarray
    min: np.ndarray | None = None
    max: np.ndarray | None = None
    count: np.ndarray | None = None


def aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


class MetricsStore:
    """One DuckDB file. Writes (ingest, refresh, retention) take a lock: DuckDB runs one
    writer at a time anyway, and a conflict would be an error rather than a wait. Reads run
    concurrently on cursors of their own."""

    def __init__(self, path: str | Path, *, max_series: int = 10_000) -> None:
        self.path = str(path)
        self.max_series = max_series
        self.con = duckdb.connect(self.path, config=CONFIG)
        self._write_lock = threading.Lock()
        self._cursor_lock = threading.Lock()
        with self._transaction() as cur:
            cur.execute(SCHEMA)

    def close(self) -> None:
        self.con.close()

    # region plumbing
    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._cursor_lock:
            cursor = self.con.cursor()  # a connection of its own, for this thread
        with closing(cursor):
            yield cursor

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._write_lock, self._cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    @staticmethod
    def _state(cur: duckdb.DuckDBPyConnection) -> tuple[datetime, datetime]:
        row = cur.execute("SELECT watermark, raw_horizon FROM rollup_state").fetchone()
        assert row is not None
        return row[0], row[1]

    def state(self) -> tuple[datetime, datetime]:
        """(watermark, raw horizon), both UTC."""
        with self._cursor() as cur:
            watermark, horizon = self._state(cur)
        return aware(watermark), aware(horizon)

    # endregion

    # region ingest
    def ingest(self, points: list[Point], *, refresh: bool = True) -> IngestCounts:
        """Write a validated batch in one INSERT; with ``refresh``, bring the rollups up to
        date in the same transaction, so what the response reports is what a query sees."""
        ts = [to_utc_naive(point.ts) for point in points]
        with self._transaction() as cur:
            watermark, horizon = self._state(cur)
            too_old = [index for index, moment in enumerate(ts) if moment < horizon]
            if too_old:
                raise InputRejected(
                    [
                        (
                            ("points", index, "ts"),
                            f"is before {horizon:%Y-%m-%dT%H:%M:%SZ}: raw data that old was "
                            "dropped by retention, so its rollups are final",
                        )
                        for index in too_old[:10]
                    ]
                )
            ids, new_series = self._series_ids(cur, points)
            cur.execute(
                """
                CREATE OR REPLACE TEMP TABLE batch AS
                SELECT unnest($1::BIGINT[]) AS series_id,
                       unnest($2::TIMESTAMP[]) AS ts,
                       unnest($3::DOUBLE[]) AS value
                """,
                [[ids[point.key] for point in points], ts, [point.value for point in points]],
            )
            # What the batch changes: new (series, ts), or a new value at a known one. A
            # retried batch changes nothing, so it writes nothing and invalidates nothing.
            cur.execute(
                """
                CREATE OR REPLACE TEMP TABLE changed AS
                SELECT b.series_id, b.ts, b.value, p.series_id IS NULL AS created
                FROM batch AS b
                LEFT JOIN points AS p ON p.series_id = b.series_id AND p.ts = b.ts
                WHERE p.value IS DISTINCT FROM b.value
                """
            )
            created, updated, late = cur.execute(
                """
                SELECT count(*) FILTER (created), count(*) FILTER (NOT created),
                       count(*) FILTER (ts < $1)
                FROM changed
                """,
                [watermark],
            ).fetchone()
            cur.execute(
                """
                INSERT INTO points SELECT series_id, ts, value FROM changed
                ON CONFLICT (series_id, ts) DO UPDATE SET value = excluded.value
                """
            )
            # Late points: their minutes are already materialized, so they are logged for
            # the next refresh. Points at or after the watermark need nothing: the refresh
            # covers everything from there.
            cur.execute(
                """
                INSERT INTO invalidated_minutes
                SELECT DISTINCT series_id, date_trunc('minute', ts) FROM changed WHERE ts < $1
                ON CONFLICT DO NOTHING
                """,
                [watermark],
            )
            cur.execute("DROP TABLE batch; DROP TABLE changed")
            refreshed = self._refresh(cur) if refresh else None
        return IngestCounts(
            received=len(points),
            created=created,
            updated=updated,
            unchanged=len(points) - created - updated,
            new_series=new_series,
            late=late,
            refresh=refreshed,
        )

    def _series_ids(
        self, cur: duckdb.DuckDBPyConnection, points: list[Point]
    ) -> tuple[dict[str, int], int]:
        """The id of every series in the batch, creating the new ones (one INSERT)."""
        wanted = {point.key: point for point in points}
        ids = dict(
            cur.execute(
                "SELECT key, series_id FROM series WHERE key IN (SELECT unnest($1::VARCHAR[]))",
                [list(wanted)],
            ).fetchall()
        )
        missing = [wanted[key] for key in wanted if key not in ids]
        if not missing:
            return ids, 0
        (stored,) = cur.execute("SELECT count(*) FROM series").fetchone()
        if stored + len(missing) > self.max_series:
            # Every label value makes a series: a request id in a label would make millions.
            raise InputRejected(
                [
                    (
                        ("points",),
                        f"would create {len(missing)} new series; {stored} of at most "
                        f"{self.max_series} exist (a label that takes unbounded values, "
                        "such as a request id, makes a series per value)",
                    )
                ]
            )
        names = [sorted(point.labels) for point in missing]
        rows = cur.execute(
            """
            INSERT INTO series
            SELECT nextval('series_ids'), key, name, map(label_names, label_values)
            FROM (
                SELECT unnest($1::VARCHAR[]) AS key, unnest($2::VARCHAR[]) AS name,
                       unnest($3::VARCHAR[][]) AS label_names,
                       unnest($4::VARCHAR[][]) AS label_values
            )
            RETURNING key, series_id
            """,
            [
                [point.key for point in missing],
                [point.name for point in missing],
                names,
                [
                    [point.labels[n] for n in labels]
                    for point, labels in zip(missing, names, strict=True)
                ],
            ],
        ).fetchall()
        ids.update(rows)
        return ids, len(rows)

    # endregion

    # region refresh
    def refresh(self) -> RefreshResult:
        """Bring both rollups up to date (what a scheduled job calls when ingest does not)."""
        with self._transaction() as cur:
            return self._refresh(cur)

    @staticmethod
    def _refresh(cur: duckdb.DuckDBPyConnection) -> RefreshResult:
        watermark, _ = MetricsStore._state(cur)
        # The minutes to recompute: everything from the watermark on, plus the log.
        cur.execute(
            """
            CREATE OR REPLACE TEMP TABLE dirty_minutes AS
            SELECT DISTINCT series_id, date_trunc('minute', ts) AS bucket
            FROM points WHERE ts >= $1
            UNION
            SELECT series_id, bucket FROM invalidated_minutes
            """,
            [watermark],
        )
        (minutes,) = cur.execute("SELECT count(*) FROM dirty_minutes").fetchone()
        if minutes == 0:
            cur.execute("DROP TABLE dirty_minutes")
            return RefreshResult(minutes=0, hours=0, watermark=aware(watermark))
        # Whole buckets are recomputed, never patched with a delta: a replaced value would
        # need its old value subtracted, and min and max cannot be un-applied at all.
        cur.execute(
            """
            INSERT OR REPLACE INTO rollup_1m
            SELECT p.series_id, date_trunc('minute', p.ts), count(*), sum(p.value),
                   min(p.value), max(p.value)
            FROM points AS p
            SEMI JOIN dirty_minutes AS d
                ON p.series_id = d.series_id AND date_trunc('minute', p.ts) = d.bucket
            WHERE p.ts >= (SELECT min(bucket) FROM dirty_minutes)
            GROUP BY ALL
            """
        )
        # Hours from minutes: 60 rows per bucket instead of every raw point, and it still
        # works after retention dropped the raw points.
        cur.execute(
            """
            CREATE OR REPLACE TEMP TABLE dirty_hours AS
            SELECT DISTINCT series_id, date_trunc('hour', bucket) AS bucket FROM dirty_minutes
            """
        )
        (hours,) = cur.execute("SELECT count(*) FROM dirty_hours").fetchone()
        cur.execute(
            """
            INSERT OR REPLACE INTO rollup_1h
            SELECT r.series_id, date_trunc('hour', r.bucket), sum(r.count), sum(r.sum),
                   min(r.min), max(r.max)
            FROM rollup_1m AS r
            SEMI JOIN dirty_hours AS d
                ON r.series_id = d.series_id AND date_trunc('hour', r.bucket) = d.bucket
            WHERE r.bucket >= (SELECT min(bucket) FROM dirty_hours)
            GROUP BY ALL
            """
        )
        # The newest minute is recomputed again once more of its points arrive: they land
        # behind the new watermark and are logged as late.
        (new_watermark,) = cur.execute(
            """
            SELECT greatest($1, max(bucket) + INTERVAL 1 MINUTE) FROM dirty_minutes
            """,
            [watermark],
        ).fetchone()
        cur.execute("DELETE FROM invalidated_minutes")
        cur.execute("UPDATE rollup_state SET watermark = $1", [new_watermark])
        cur.execute("DROP TABLE dirty_minutes; DROP TABLE dirty_hours")
        return RefreshResult(minutes=minutes, hours=hours, watermark=aware(new_watermark))

    def full_recompute(self, level: Level) -> list[tuple]:
        """The rollup computed from scratch from the raw points: what the incremental one
        must equal (while no raw point has been dropped)."""
        unit = LEVELS[level].unit
        assert unit is not None, "raw has no rollup"
        with self._cursor() as cur:
            return cur.execute(
                f"""
                SELECT series_id, date_trunc('{unit}', ts) AS bucket, count(*), sum(value),
                       min(value), max(value)
                FROM points GROUP BY ALL ORDER BY series_id, bucket
                """
            ).fetchall()

    def rollup_rows(self, level: Level) -> list[tuple]:
        table = LEVELS[level].table
        with self._cursor() as cur:
            return cur.execute(
                f"SELECT series_id, bucket, count, sum, min, max FROM {table} "
                "ORDER BY series_id, bucket"
            ).fetchall()

    # endregion

    # region retention
    def apply_retention(self, days: int, now: datetime | None = None) -> RetentionResult:
        """Drop raw points older than ``days`` days before ``now`` (default: the clock);
        keep both rollups. The cutoff is rounded down to the hour, so no bucket is left
        with part of its raw points; rollups are refreshed first, so they hold what goes."""
        if days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        moment = now if now is not None else datetime.now(UTC)
        cutoff = to_utc_naive(moment - timedelta(days=days))
        cutoff = cutoff.replace(minute=0, second=0, microsecond=0)
        with self._transaction() as cur:
            refreshed = self._refresh(cur)
            (dropped,) = cur.execute("DELETE FROM points WHERE ts < $1", [cutoff]).fetchone()
            cur.execute("UPDATE rollup_state SET raw_horizon = greatest(raw_horizon, $1)", [cutoff])
        with self._cursor() as cur:
            cur.execute("CHECKPOINT")  # lets DuckDB reuse the freed blocks
        return RetentionResult(cutoff=aware(cutoff), dropped=dropped, refresh=refreshed)

    # endregion

    # region reads
    def series_id(self, key: str) -> int:
        with self._cursor() as cur:
            row = cur.execute("SELECT series_id FROM series WHERE key = $1", [key]).fetchone()
        if row is None:
            raise UnknownSeries(key)
        return row[0]

    def count(self, series_id: int, level: Level, start: datetime, end: datetime) -> int:
        """Rows of LEVEL for the series in [start, end) (UTC; buckets by their start, the
        first bucket being the one holding start)."""
        spec = LEVELS[level]
        low = "$2" if spec.unit is None else f"date_trunc('{spec.unit}', $2::TIMESTAMP)"
        with self._cursor() as cur:
            (rows,) = cur.execute(
                f"SELECT count(*) FROM {spec.table} "
                f"WHERE series_id = $1 AND {spec.column} >= {low} AND {spec.column} < $3",
                [series_id, to_utc_naive(start), to_utc_naive(end)],
            ).fetchone()
        return rows

    def read(self, series_id: int, level: Level, start: datetime, end: datetime) -> Read:
        spec = LEVELS[level]
        params = [series_id, to_utc_naive(start), to_utc_naive(end)]
        with self._cursor() as cur:
            if spec.unit is None:
                arrays = cur.execute(
                    "SELECT epoch_us(ts) AS t, value FROM points "
                    "WHERE series_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts",
                    params,
                ).fetchnumpy()
                return Read(level, arrays["t"], arrays["value"])
            arrays = cur.execute(
                f"""
                SELECT epoch_us(bucket) AS t, sum / count AS value, min, max, count
                FROM {spec.table}
                WHERE series_id = $1 AND bucket >= date_trunc('{spec.unit}', $2::TIMESTAMP)
                  AND bucket < $3
                ORDER BY bucket
                """,
                params,
            ).fetchnumpy()
        return Read(
            level, arrays["t"], arrays["value"], arrays["min"], arrays["max"], arrays["count"]
        )

    def list_series(
        self, *, name: str | None, after: str | None, limit: int
    ) -> tuple[list[Series], bool]:
        """A page of series in key order after AFTER, and whether more follow."""
        with self._cursor() as cur:
            rows = cur.execute(
                """
                WITH page AS (
                    SELECT series_id, key, name, labels FROM series
                    WHERE ($1::VARCHAR IS NULL OR name = $1)
                      AND ($2::VARCHAR IS NULL OR key > $2)
                    ORDER BY key LIMIT $3
                ),
                stats AS (
                    SELECT series_id, min(bucket) AS first, max(bucket) AS last,
                           sum(count) AS points
                    FROM rollup_1m WHERE series_id IN (SELECT series_id FROM page)
                    GROUP BY series_id
                )
                SELECT key, name, labels, first, last, coalesce(points, 0)
                FROM page LEFT JOIN stats USING (series_id)
                ORDER BY key
                """,
                [name, after, limit + 1],
            ).fetchall()
        page = [
            Series(
                key=key,
                name=series_name,
                labels=dict(labels),
                first=aware(first) if first else None,
                last=aware(last) if last else None,
                points=int(points),
            )
            for key, series_name, labels, first, last, points in rows[:limit]
        ]
        return page, len(rows) > limit

    # endregion
