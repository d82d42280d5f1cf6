"""DuckDB connections that never reach the network (notebooks of series 05 and 07, doctor).

DuckDB fetches a known extension the first time a query needs one (`INSTALL` goes to the
network even for built-ins; a dead mirror hangs for 120 s), so every connection of the
course turns autoinstall and autoload off and uses only what the wheel has built in
(json, parquet, icu).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

OFFLINE_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def connect(database: str | Path = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB (in memory by default) that never downloads or loads an extension by itself.

    The progress bar is off: in a notebook it is a widget that appears only when a query
    runs longer than two seconds, which would change the stored outputs on a busy machine.
    """
    con = duckdb.connect(str(database), config=dict(OFFLINE_CONFIG))
    con.execute("SET enable_progress_bar = false")  # a per-connection setting
    return con
