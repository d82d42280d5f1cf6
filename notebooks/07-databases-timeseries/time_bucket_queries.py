"""time_bucket against date_trunc, and per-sensor aggregates by bucket (notebook 07-03).

Both functions map a timestamp to the start of the period it falls in. ``date_trunc``
knows calendar units only (minute, hour, day, ISO week starting Monday, month, ...);
``time_bucket`` takes any interval and lays its buckets from an origin, by default
2000-01-03 (a Monday, midnight) for intervals of days or less and 2000-01-01 for months,
so its hours, days, weeks and months agree with ``date_trunc``'s and anything else is a
choice of width and origin.
"""

from __future__ import annotations

import duckdb
import pandas as pd

# region agree
AGREE_SQL = """
SELECT
    count(*) AS readings,
    count(*) FILTER (time_bucket(INTERVAL 1 HOUR, ts) <> date_trunc('hour', ts)) AS hour,
    count(*) FILTER (time_bucket(INTERVAL 1 DAY, ts) <> date_trunc('day', ts)) AS day,
    count(*) FILTER (time_bucket(INTERVAL 1 WEEK, ts) <> date_trunc('week', ts)) AS week,
    count(*) FILTER (time_bucket(INTERVAL 1 MONTH, ts) <> date_trunc('month', ts)) AS month
FROM readings
"""
# endregion

# region differ
DIFFER_SQL = """
SELECT
    -- 15 minutes: no date_trunc unit; the same buckets by arithmetic on the hour
    count(*) FILTER (time_bucket(INTERVAL 15 MINUTES, ts)
                     <> date_trunc('hour', ts) + INTERVAL 15 MINUTES * (minute(ts) // 15))
        AS quarter_vs_arithmetic,
    count(*) FILTER (time_bucket(INTERVAL 15 MINUTES, ts) <> date_trunc('hour', ts))
        AS quarter_vs_hour,
    count(*) FILTER (minute(ts) >= 15) AS past_the_first_quarter,
    -- weeks from a Sunday origin (2000-01-02): US weeks start the day before ISO weeks,
    -- so a Sunday belongs to the next ISO week's group
    count(*) FILTER (time_bucket(INTERVAL 1 WEEK, ts, TIMESTAMP '2000-01-02') + INTERVAL 1 DAY
                     <> date_trunc('week', ts)) AS sunday_weeks_vs_iso_weeks,
    count(*) FILTER (dayofweek(ts) = 0) AS on_sundays,
    -- days from 06:00 (an offset): a shift day, which is date_trunc of the shifted time
    count(*) FILTER (time_bucket(INTERVAL 1 DAY, ts, INTERVAL 6 HOURS)
                     <> date_trunc('day', ts - INTERVAL 6 HOURS) + INTERVAL 6 HOURS)
        AS shift_days_vs_shifted_trunc,
    count(*) FILTER (time_bucket(INTERVAL 1 DAY, ts, INTERVAL 6 HOURS) - INTERVAL 6 HOURS
                     <> date_trunc('day', ts)) AS shift_days_vs_days,
    count(*) FILTER (hour(ts) < 6) AS before_six
FROM readings
"""
# endregion

# region one-timestamp
ONE_TIMESTAMP_SQL = """
SELECT label, bucket FROM (VALUES
    ('date_trunc hour', date_trunc('hour', $ts)),
    ('time_bucket 15 minutes', time_bucket(INTERVAL 15 MINUTES, $ts)),
    ('time_bucket 15 minutes, origin 00:05', time_bucket(INTERVAL 15 MINUTES, $ts,
                                                          TIMESTAMP '2000-01-03 00:05')),
    ('date_trunc day', date_trunc('day', $ts)),
    ('time_bucket 1 day, offset 6 hours', time_bucket(INTERVAL 1 DAY, $ts, INTERVAL 6 HOURS)),
    ('date_trunc week (ISO, Monday)', date_trunc('week', $ts)),
    ('time_bucket 1 week', time_bucket(INTERVAL 1 WEEK, $ts)),
    ('time_bucket 1 week, Sunday origin', time_bucket(INTERVAL 1 WEEK, $ts,
                                                       TIMESTAMP '2000-01-02')),
    ('time_bucket 4 days', time_bucket(INTERVAL 4 DAYS, $ts)),
    ('date_trunc month', date_trunc('month', $ts))
) AS t(label, bucket)
"""
# endregion


def bucket_agreement(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return con.sql(AGREE_SQL).df().iloc[0].astype(int).to_dict()


def bucket_differences(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return con.sql(DIFFER_SQL).df().iloc[0].astype(int).to_dict()


def one_timestamp(con: duckdb.DuckDBPyConnection, ts) -> pd.DataFrame:
    return con.execute(ONE_TIMESTAMP_SQL, {"ts": ts}).df()


# region aggregates
def per_sensor_aggregates(con: duckdb.DuckDBPyConnection, width: str) -> pd.DataFrame:
    """Count, mean, extremes and percentiles of temperature a sensor a bucket of WIDTH."""
    return con.execute(
        """
        SELECT sensor,
               time_bucket(CAST($width AS INTERVAL), ts) AS bucket,
               count(*) AS readings,
               avg(temperature) AS mean,
               min(temperature) AS low,
               max(temperature) AS high,
               quantile_cont(temperature, 0.5) AS p50,  -- interpolates between readings
               quantile_cont(temperature, 0.95) AS p95
        FROM readings
        GROUP BY ALL
        ORDER BY sensor, bucket
        """,
        {"width": width},
    ).df()


# endregion
