"""The ways rows get into a DuckDB table, each timed the same way (notebook 07-02).

Every path is a pair: what the producer hands over (``prepare``: Python tuples, a pandas
frame, an Arrow table, a Parquet or CSV file) and what the database does with it
(``load``). Only ``load`` is timed, into a fresh table, and every run is checked with an
order-independent fingerprint of the rows it loaded, so a fast path that loses, changes
or duplicates a row cannot win.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import arro3.core as ac
import duckdb
import pandas as pd

from backend_skills.params import choice, integer

COLUMNS = ("ts", "sensor", "temperature", "humidity")
ROW_SQL = "INSERT INTO {table} VALUES (?, ?, ?, ?)"
VALUES_MAX_ROWS = 1_000  # rows a VALUES statement takes here (four parameters a row)
MAX_BATCH_ROWS = 1_000_000


# region table
def create_readings_table(
    con: duckdb.DuckDBPyConnection, table: str, *, primary_key: bool = False
) -> None:
    """An empty readings table; with PRIMARY_KEY, one row at most a (sensor, ts)."""
    key = ", PRIMARY KEY (sensor, ts)" if primary_key else ""
    con.execute(
        f"CREATE OR REPLACE TABLE {table} (ts TIMESTAMP NOT NULL, sensor VARCHAR NOT NULL, "
        f"temperature DOUBLE, humidity DOUBLE{key})"
    )


# endregion


# region fingerprint
def fingerprint(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, int]:
    """(rows, checksum) of a table or a registered frame.

    The checksum adds up one 64-bit hash a row (into a HUGEINT, so it cannot overflow):
    a sum does not care about order, and a lost, changed or doubled row changes it.
    """
    [(rows, checksum)] = con.execute(
        f"SELECT count(*), coalesce(sum(hash(ts, sensor, temperature, humidity)), 0) "
        f"FROM {relation}"
    ).fetchall()
    return int(rows), int(checksum)


def frame_fingerprint(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> tuple[int, int]:
    """The fingerprint of a pandas frame's rows, computed by DuckDB scanning the frame."""
    con.register("expected_rows", frame)
    try:
        return fingerprint(con, "expected_rows")
    finally:
        con.unregister("expected_rows")


# endregion


# region producers
def rows_of(frame: pd.DataFrame) -> list[tuple]:
    """The frame as a gateway's Python tuples: (datetime, str, float, float)."""
    return list(
        zip(
            frame["ts"].dt.to_pydatetime(),
            frame["sensor"].tolist(),
            frame["temperature"].tolist(),
            frame["humidity"].tolist(),
            strict=True,
        )
    )


def to_arrow(frame: pd.DataFrame) -> ac.Table:
    """The frame as an Arrow table (arro3, no pyarrow): numbers and times copied from
    numpy's buffers, the sensor names encoded as one UTF-8 column."""
    return ac.Table.from_pydict(
        {
            "ts": ac.Array.from_numpy(frame["ts"].to_numpy()),
            "sensor": ac.Array(frame["sensor"].tolist(), type=ac.DataType.string()),
            "temperature": ac.Array.from_numpy(frame["temperature"].to_numpy()),
            "humidity": ac.Array.from_numpy(frame["humidity"].to_numpy()),
        }
    )


# endregion


# region one-statement-a-row
def row_by_row(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """One execute a row, each its own transaction (autocommit): parse, plan, commit."""
    sql = ROW_SQL.format(table=table)
    for row in rows:
        con.execute(sql, row)


def row_by_row_in_transaction(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]):
    """The same executes inside one transaction: one commit for all of them."""
    sql = ROW_SQL.format(table=table)
    con.execute("BEGIN TRANSACTION")
    for row in rows:
        con.execute(sql, row)
    con.execute("COMMIT")


def execute_many(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """One prepared statement, executed once a row by DuckDB's executemany."""
    con.executemany(ROW_SQL.format(table=table), rows)


# endregion


# region batches
def values_batches(
    con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple], batch_size: int
) -> None:
    """INSERT ... VALUES (?, ?, ?, ?), (...), ...: BATCH_SIZE rows a statement."""
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        placeholders = ", ".join(["(?, ?, ?, ?)"] * len(batch))
        values = [value for row in batch for value in row]
        con.execute(f"INSERT INTO {table} VALUES {placeholders}", values)


def frame_batches(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, batch_size: int
) -> None:
    """A pandas frame of BATCH_SIZE rows a statement, scanned by DuckDB."""
    for start in range(0, len(frame), batch_size):
        scan(con, table, frame.iloc[start : start + batch_size])


# endregion


# region scans
def scan(con: duckdb.DuckDBPyConnection, table: str, data, *, verb: str = "INSERT") -> None:
    """INSERT ... SELECT from a pandas frame or an Arrow table, read where it lies.

    A pandas frame is read column by column (PANDAS_SCAN); anything with an
    ``__arrow_c_stream__`` method, such as an arro3 table, through the Arrow PyCapsule
    interface (PYTHON_ARROW_SCAN), with no pyarrow involved.
    """
    con.register("incoming", data)
    try:
        con.execute(f"{verb} INTO {table} SELECT * FROM incoming")
    finally:
        con.unregister("incoming")


# endregion


# region files
def write_file(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, path: Path) -> Path:
    """The frame as a Parquet file (suffix .parquet) or a CSV file with a header."""
    file_format = "parquet" if path.suffix == ".parquet" else "csv, HEADER"
    con.register("outgoing", frame)
    try:
        con.execute(f"COPY outgoing TO '{path}' (FORMAT {file_format})")
    finally:
        con.unregister("outgoing")
    return path


def copy_from(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    """COPY ... FROM a Parquet or CSV file: DuckDB reads it in parallel, in its own code."""
    file_format = "parquet" if path.suffix == ".parquet" else "csv, HEADER"
    con.execute(f"COPY {table} FROM '{path}' (FORMAT {file_format})")


def select_parquet(con: duckdb.DuckDBPyConnection, table: str, path: Path):
    """The same file as a table function: INSERT ... SELECT * FROM read_parquet(...)."""
    con.execute(f"INSERT INTO {table} SELECT * FROM read_parquet('{path}')")


# endregion


# region idempotent
def insert_or_ignore(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame):
    """Rows whose (sensor, ts) the keyed table already holds are skipped, not errors."""
    scan(con, table, frame, verb="INSERT OR IGNORE")


def on_conflict_do_nothing(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame):
    """The same in PostgreSQL's spelling, which TimescaleDB (and DuckDB) accept."""
    con.register("incoming", frame)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM incoming ON CONFLICT DO NOTHING")
    finally:
        con.unregister("incoming")


# endregion


@dataclass(frozen=True)
class Method:
    """An ingest path: how the producer's data is prepared, how DuckDB loads it."""

    prepare: Callable[[duckdb.DuckDBPyConnection, pd.DataFrame, Path], object]
    load: Callable[..., None]
    per_row: bool = False  # one statement a row: slow, so it gets a small slice
    batched: bool = False  # takes a batch size
    keyed: bool = False  # loads into a table with PRIMARY KEY (sensor, ts)


def _same(_con, frame, _work_dir):
    return frame


def _tuples(_con, frame, _work_dir):
    return rows_of(frame)


def _arrow(_con, frame, _work_dir):
    return to_arrow(frame)


def _parquet(con, frame, work_dir):
    return write_file(con, frame, work_dir / "readings.parquet")


def _csv(con, frame, work_dir):
    return write_file(con, frame, work_dir / "readings.csv")


METHODS = {
    "row by row": Method(_tuples, row_by_row, per_row=True),
    "row by row, one transaction": Method(_tuples, row_by_row_in_transaction, per_row=True),
    "executemany": Method(_tuples, execute_many, per_row=True),
    "VALUES batches": Method(_tuples, values_batches, batched=True),
    "frame batches": Method(_same, frame_batches, batched=True),
    "whole frame": Method(_same, scan),
    "Arrow table": Method(_arrow, scan),
    "Parquet, COPY FROM": Method(_parquet, copy_from),
    "Parquet, read_parquet": Method(_parquet, select_parquet),
    "CSV, COPY FROM": Method(_csv, copy_from),
    "whole frame, keyed": Method(_same, scan, keyed=True),
    "INSERT OR IGNORE, keyed": Method(_same, insert_or_ignore, keyed=True),
}


@dataclass(frozen=True)
class IngestRun:
    method: str
    batch_size: int | None
    rows: int
    seconds: float
    identical: bool  # the table's fingerprint is the source rows'

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


# region measure
class IngestBench:
    """Loads rows into a fresh table by one of METHODS and checks what arrived.

    The slow paths get a slice: SLOW_ROWS rows for one statement a row, BATCHES batches
    for the batched ones; the rest load the whole frame.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        work_dir: Path,
        *,
        slow_rows: int,
        batches: int,
        table: str = "landing",
    ):
        self.con, self.work_dir, self.table = con, Path(work_dir), table
        self.slow_rows, self.batches = slow_rows, batches

    def rows_for(self, method: str, frame: pd.DataFrame, batch_size: int | None) -> pd.DataFrame:
        path = METHODS[choice("method", method, METHODS)]
        if path.per_row:
            return frame.iloc[: self.slow_rows]
        if path.batched:
            limit = VALUES_MAX_ROWS if path.load is values_batches else MAX_BATCH_ROWS
            batch_size = integer("batch_size", batch_size, minimum=1, maximum=limit)
            return frame.iloc[: batch_size * self.batches]
        return frame

    def run(self, method: str, frame: pd.DataFrame, batch_size: int | None = None) -> IngestRun:
        frame = self.rows_for(method, frame, batch_size)  # checks METHOD and BATCH_SIZE
        path = METHODS[method]
        source = path.prepare(self.con, frame, self.work_dir)  # the producer's side: untimed
        create_readings_table(self.con, self.table, primary_key=path.keyed)
        started = time.perf_counter()
        if path.batched:
            path.load(self.con, self.table, source, batch_size)
        else:
            path.load(self.con, self.table, source)
        seconds = time.perf_counter() - started
        loaded = fingerprint(self.con, self.table)
        expected = frame_fingerprint(self.con, frame)
        return IngestRun(
            method, batch_size if path.batched else None, len(frame), seconds, loaded == expected
        )


# endregion


def runs_table(runs: list[IngestRun]) -> pd.DataFrame:
    """The runs as a table: one line a run, its rate rounded to whole rows a second."""
    return pd.DataFrame(
        {
            "method": [run.method for run in runs],
            "batch size": pd.array([run.batch_size for run in runs], dtype="Int64"),
            "rows": [run.rows for run in runs],
            "ms": [round(run.seconds * 1000, 1) for run in runs],
            "rows/s": [round(run.rows_per_s) for run in runs],
            "identical": [run.identical for run in runs],
        }
    )
