"""Final days of readings to Parquet, one folder per day (``day=2026-03-02/data_0.parquet``).

DuckDB writes the files itself (``COPY ... (FORMAT parquet, PARTITION_BY (day))``): no
pyarrow. Only days that can no longer change are written, those that ended at least the
lateness window behind the watermark, so a day's file is written once and a data lake, a
warehouse or ``read_parquet('out/*/*.parquet', hive_partitioning = true)`` can trust it.
Exporting again rewrites the same files with the same rows: safe to run on a schedule.
(An ``admit-late`` changes a final day on purpose; the next export rewrites that day.)
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from iot_pipeline.store import read_state


def final_cutoff(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """Midnight of the first day that may still change, or None if no day is final."""
    horizon = read_state(con).final_before
    if horizon is None:
        return None
    return datetime.combine(horizon.date(), datetime.min.time())


def export_final_days(con: duckdb.DuckDBPyConnection, out_dir: str | Path) -> dict:
    """Write every final day to OUT_DIR/day=YYYY-MM-DD/; what was written, as a dict."""
    out_dir = Path(out_dir)
    cutoff = final_cutoff(con)
    days = []
    if cutoff is not None:
        days = con.execute(
            "SELECT CAST(ts AS DATE) AS day, count(*) FROM readings WHERE ts < $cutoff "
            "GROUP BY day ORDER BY day",
            {"cutoff": cutoff},
        ).fetchall()
    if days:
        out_dir.mkdir(parents=True, exist_ok=True)
        con.execute(
            """
            COPY (
                SELECT device, ts, temperature, humidity, CAST(ts AS DATE) AS day
                FROM readings WHERE ts < $cutoff ORDER BY device, ts
            ) TO $out (FORMAT parquet, PARTITION_BY (day), OVERWRITE_OR_IGNORE)
            """,
            {"cutoff": cutoff, "out": str(out_dir)},
        )
    return {
        "out": str(out_dir),
        "days": [day.isoformat() for day, _ in days],
        "rows": sum(count for _, count in days),
    }
