"""The store: readings in DuckDB, deduplicated on (device, ts), late data judged by a watermark.

Tables (one DuckDB file):

- ``readings``: the accepted readings, primary key (device, ts);
- ``late_readings``: readings that arrived more than the lateness window behind the
  watermark, set aside with the watermark they met (``admit_late`` lets them in on purpose);
- ``rollup_hourly``: the hourly rollup (see rollup.py);
- ``pipeline_state``: the watermark, how far the rollup is materialized, the lateness window.

Each batch is one transaction: its readings, the set-aside ones, the new watermark and the
rollup's refresh commit together or not at all. A batch that failed halfway, or a whole
file sent again, is therefore safe to re-ingest: what was stored is found as duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np

from iot_pipeline import PipelineError, rollup
from iot_pipeline.batcher import Columns

DEFAULT_LATENESS = timedelta(minutes=30)
# Never let DuckDB fetch or load an extension by itself: INSTALL goes to the network.
OFFLINE_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS readings (
    device VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,              -- event time, UTC
    temperature DOUBLE NOT NULL,
    humidity DOUBLE NOT NULL,
    PRIMARY KEY (device, ts)
);
CREATE TABLE IF NOT EXISTS late_readings (
    device VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,
    temperature DOUBLE NOT NULL,
    humidity DOUBLE NOT NULL,
    watermark TIMESTAMP NOT NULL,       -- the watermark it arrived behind
    PRIMARY KEY (device, ts)
);
{rollup.SCHEMA};
CREATE TABLE IF NOT EXISTS pipeline_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    watermark TIMESTAMP,                -- the newest accepted event time
    materialized_until TIMESTAMP,       -- rollup_hourly holds every bucket before this
    lateness_seconds DOUBLE             -- the window of the last ingest
);
INSERT OR IGNORE INTO pipeline_state VALUES (1, NULL, NULL, NULL);
"""

# The batch without what is stored already, each row with the watermark it arrived behind
# and whether that makes it too late. The watermark a row meets is the newest accepted
# event time before it; a row judged too late is older than that watermark, so the running
# max over *all* earlier rows is the same number, a window function instead of a loop.
# Whether a row is late depends only on the rows before it, never on where a batch ended.
# The SEMI JOINs are bounded by the batch's time range so zone maps skip old row groups.
CLASSIFY = """
CREATE OR REPLACE TEMP TABLE fresh AS
WITH stored AS (
    SELECT seq FROM incoming
    SEMI JOIN (SELECT device, ts FROM readings WHERE ts BETWEEN $low AND $high) USING (device, ts)
    UNION ALL
    SELECT seq FROM incoming
    SEMI JOIN (SELECT device, ts FROM late_readings WHERE ts BETWEEN $low AND $high)
        USING (device, ts)
),
judged AS (
    SELECT i.*,
           greatest(
               CAST($watermark AS TIMESTAMP),
               max(ts) OVER (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
           ) AS watermark
    FROM incoming AS i ANTI JOIN stored USING (seq)
)
SELECT *, coalesce(ts < watermark - $lateness, false) AS late FROM judged
"""


class StoreError(PipelineError):
    """The database cannot be used (not a pipeline's DuckDB file, locked, missing)."""


@dataclass(frozen=True)
class State:
    watermark: datetime | None
    materialized_until: datetime | None
    lateness: timedelta | None

    @property
    def final_before(self) -> datetime | None:
        """Buckets ending at or before this can no longer change."""
        if self.watermark is None or self.lateness is None:
            return None
        return self.watermark - self.lateness


@dataclass(frozen=True)
class Outcome:
    """What the store made of one batch's distinct readings."""

    accepted: int
    duplicates: int  # stored by an earlier batch (or an earlier run)
    late: int  # beyond the lateness window, set aside
    revising: int = 0  # accepted, but into an hour the rollup had materialized already


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that never touches the network."""
    con = duckdb.connect(str(path), read_only=read_only, config=dict(OFFLINE_CONFIG))
    con.execute("SET enable_progress_bar = false")  # stdout carries the JSON summary
    return con


class Store:
    """Batches in, deduplicated and judged against the watermark, rollup refreshed."""

    def __init__(self, con: duckdb.DuckDBPyConnection, lateness: timedelta | None) -> None:
        """LATENESS is this run's window (recorded in the state); None keeps the recorded
        one (or DEFAULT_LATENESS in a new database)."""
        if lateness is not None and lateness < timedelta(0):
            raise ValueError(f"lateness must be 0 or more, got {lateness}")
        self.con = con
        self._state: State | None = None
        con.execute(SCHEMA)
        if lateness is None:
            lateness = self.state.lateness
        if lateness is None:
            lateness = DEFAULT_LATENESS
        self.lateness = lateness
        con.execute(
            "UPDATE pipeline_state SET lateness_seconds = $s",
            {"s": self.lateness.total_seconds()},
        )
        self._state = None

    @classmethod
    def open(cls, path: str | Path, lateness: timedelta | None = None) -> Store:
        """Open (or create) the DuckDB file at PATH; StoreError if it cannot be used."""
        path = Path(path)
        if path.is_dir():
            raise StoreError(f"{path} is a directory, not a DuckDB file")
        if not path.parent.is_dir():
            raise StoreError(f"{path.parent} does not exist")
        try:
            return cls(connect(path), lateness)
        except duckdb.Error as error:
            raise StoreError(f"cannot open {path}: {first_line(error)}") from None

    def close(self) -> None:
        self.con.close()

    @property
    def state(self) -> State:
        """The pipeline's state, read once and then kept (DuckDB lets one process write)."""
        if self._state is None:
            self._state = read_state(self.con)
        return self._state

    def write(self, readings: Columns) -> Outcome:
        """Store one batch (distinct keys, arrival order) in one transaction."""
        if not len(readings):
            return Outcome(0, 0, 0)
        con = self.con
        before = self.state
        # DuckDB scans numpy arrays in place; Python lists cost a conversion per value.
        micros = np.array(readings.micros, dtype=np.int64)
        columns = {
            "seq": np.arange(len(micros), dtype=np.int32),
            "device": np.array(readings.device, dtype=object),
            "ts": micros.astype("datetime64[us]"),
            "temperature": np.array(readings.temperature, dtype=np.float64),
            "humidity": np.array(readings.humidity, dtype=np.float64),
        }
        con.execute("BEGIN TRANSACTION")
        try:
            con.register("batch_columns", columns)
            con.execute("CREATE OR REPLACE TEMP TABLE incoming AS SELECT * FROM batch_columns")
            con.unregister("batch_columns")
            con.execute(
                CLASSIFY,
                {
                    "low": micros.min().astype("datetime64[us]").item(),
                    "high": micros.max().astype("datetime64[us]").item(),
                    "watermark": before.watermark,
                    "lateness": self.lateness,
                },
            )
            con.execute(
                "INSERT INTO readings SELECT device, ts, temperature, humidity "
                "FROM fresh WHERE NOT late ORDER BY ts"
            )
            con.execute(
                "INSERT INTO late_readings SELECT device, ts, temperature, humidity, watermark "
                "FROM fresh WHERE late"
            )
            accepted, late, oldest, newest, revising = con.execute(
                """
                SELECT count(*) FILTER (NOT late), count(*) FILTER (late),
                       min(ts) FILTER (NOT late), max(ts) FILTER (NOT late),
                       count(*) FILTER (NOT late AND ts < $until)
                FROM fresh
                """,
                {"until": before.materialized_until},
            ).fetchone()
            after = before
            if accepted:
                watermark = max(filter(None, (before.watermark, newest)))
                after = State(watermark, rollup.hour_of(watermark), self.lateness)
                rollup.refresh(
                    con,
                    touched="(SELECT device, ts FROM fresh WHERE NOT late)",
                    oldest_touched=oldest,
                    materialized_until=before.materialized_until,
                    new_until=after.materialized_until,
                )
                con.execute(
                    "UPDATE pipeline_state SET watermark = $w, materialized_until = $m",
                    {"w": after.watermark, "m": after.materialized_until},
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self._state = after
        return Outcome(accepted, len(micros) - accepted - late, late, revising)

    def admit_late(self) -> int:
        """Move every set-aside reading into readings and revise the buckets it lands in.

        The operator's decision, not the pipeline's: a backfill from a device that was
        offline for a day is real data, a replay of last month's file may not be."""
        con = self.con
        state = self.state
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE admitted AS SELECT device, ts FROM late_readings"
            )
            admitted, oldest = con.execute("SELECT count(*), min(ts) FROM admitted").fetchone()
            con.execute(
                "INSERT INTO readings SELECT device, ts, temperature, humidity "
                "FROM late_readings ORDER BY ts"
            )
            con.execute("DELETE FROM late_readings")
            if admitted and state.materialized_until is not None:
                rollup.refresh(
                    con,
                    touched="admitted",
                    oldest_touched=oldest,
                    materialized_until=state.materialized_until,
                    new_until=state.materialized_until,
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return admitted


def read_state(con: duckdb.DuckDBPyConnection) -> State:
    watermark, until, seconds = con.execute(
        "SELECT watermark, materialized_until, lateness_seconds FROM pipeline_state"
    ).fetchone()
    lateness = None if seconds is None else timedelta(seconds=seconds)
    return State(watermark, until, lateness)


def open_existing(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a pipeline database that must exist already."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"{path}: no such database (run ingest first)")
    try:
        con = connect(path, read_only=True)
    except duckdb.Error as error:
        raise StoreError(f"cannot open {path}: {first_line(error)}") from None
    tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if not {"readings", "rollup_hourly", "pipeline_state"} <= tables:
        con.close()
        raise StoreError(f"{path} is not a pipeline database (no readings table)")
    return con


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
