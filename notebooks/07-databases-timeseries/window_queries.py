"""Window functions over readings: rates, moving averages, daily rankings (07-03).

A window function computes a value for each row from the rows around it (its frame)
without collapsing them, as GROUP BY would. Over time series the frame is either a number
of rows (ROWS) or a span of time (RANGE), and after an outage the two are different
frames: 180 rows back may reach far beyond 30 minutes.
"""

from __future__ import annotations

import duckdb
import pandas as pd


# region rates
def rates(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    """Each reading's change since the sensor's previous one, and per minute of elapsed time.

    A relation, not a frame: the rows stay in DuckDB until a filter or an aggregate asks.
    """
    return con.sql(
        """
        SELECT sensor, ts, temperature,
               datediff('second', lag(ts) OVER w, ts) AS elapsed_s,
               temperature - lag(temperature) OVER w AS change,
               60 * (temperature - lag(temperature) OVER w)
                   / datediff('second', lag(ts) OVER w, ts) AS per_minute
        FROM readings
        WINDOW w AS (PARTITION BY sensor ORDER BY ts)
        """
    )


# endregion


# region moving-averages
def moving_averages(
    con: duckdb.DuckDBPyConnection, minutes: int, rows: int
) -> duckdb.DuckDBPyRelation:
    """A MINUTES-long moving average by time (RANGE) and by count (ROWS preceding rows).

    RANGE covers [ts - MINUTES, ts], every reading in that span of time; ROWS covers the
    current row and the ROWS before it, however long ago they were taken. A relation, as
    ``rates``.
    """
    return con.sql(
        f"""
        SELECT sensor, ts, temperature,
               avg(temperature) OVER by_time AS by_time,
               count(*) OVER by_time AS rows_in_time_frame,
               avg(temperature) OVER by_rows AS by_rows,
               -- where a full ROWS frame starts (NULL while fewer rows precede)
               lag(ts, {int(rows)}) OVER (PARTITION BY sensor ORDER BY ts) AS rows_frame_starts
        FROM readings
        WINDOW by_time AS (PARTITION BY sensor ORDER BY ts
                           RANGE BETWEEN INTERVAL {int(minutes)} MINUTES PRECEDING
                                 AND CURRENT ROW),
               by_rows AS (PARTITION BY sensor ORDER BY ts
                           ROWS BETWEEN {int(rows)} PRECEDING AND CURRENT ROW)
        """
    )


# endregion


# region hottest
HOTTEST_SQL = """
WITH daily AS (
    SELECT date_trunc('day', ts) AS day, sensor, avg(temperature) AS mean_temperature
    FROM readings
    GROUP BY ALL
)
SELECT day, sensor, mean_temperature,
       rank() OVER (PARTITION BY day ORDER BY mean_temperature DESC) AS rank
FROM daily
QUALIFY rank = 1  -- keep the top of each day's ranking (ties would all be kept)
ORDER BY day
"""
# endregion


def hottest_per_day(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.sql(HOTTEST_SQL).df()
