"""Finding outages and filling the buckets they leave empty, in DuckDB SQL (07-03).

A sensor that goes silent leaves no rows, not rows of NULLs, so a GROUP BY over time
buckets simply has no line for the silent buckets and a chart draws straight across them.
Gap filling makes the missing buckets explicit: a dense grid of every (sensor, bucket),
``range(start, stop, width)`` crossed with the sensors, LEFT JOINed to the bucketed data.
Each empty bucket is then NULL, and a fill decides what to show in it: nothing, the last
value carried forward, or a straight line between the neighbours.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

FILLS = ("none", "carry forward", "linear")
FILL_COLUMNS = {"none": "temperature", "carry forward": "carried_forward", "linear": "interpolated"}


# region outages
def find_outages(
    con: duckdb.DuckDBPyConnection, start: datetime, stop: datetime, step_s: int
) -> pd.DataFrame:
    """Each silent stretch of each sensor, from the readings alone.

    Consecutive readings of a sensor are STEP_S apart; a longer distance to the previous
    one is an outage. A sentinel before START (lag's default) and one at STOP (a row a
    sensor) catch a sensor silent at the very beginning or end.
    """
    return con.execute(
        """
        WITH bounded AS (
            SELECT sensor, ts FROM readings
            UNION ALL
            SELECT DISTINCT sensor, $stop FROM readings
        ), stepped AS (
            SELECT sensor, ts,
                   lag(ts, 1, $start - to_seconds($step)) OVER (PARTITION BY sensor ORDER BY ts)
                       AS previous
            FROM bounded
        )
        SELECT sensor,
               previous + to_seconds($step) AS first_missing,
               ts - to_seconds($step) AS last_missing,
               datediff('second', previous, ts) // $step - 1 AS missing_rows
        FROM stepped
        WHERE datediff('second', previous, ts) > $step
        ORDER BY sensor, first_missing
        """,
        {"start": start, "stop": stop, "step": step_s},
    ).df()


# endregion


# region dense-grid
DENSE_SQL = """
WITH grid AS (  -- every (sensor, bucket), whether or not it has readings
    SELECT sensor, bucket
    FROM (SELECT DISTINCT sensor FROM readings WHERE $sensor IS NULL OR sensor = $sensor)
    CROSS JOIN range($start, $stop, CAST($width AS INTERVAL)) AS buckets(bucket)
), bucketed AS (  -- the buckets that have readings, laid from the same origin
    SELECT sensor, time_bucket(CAST($width AS INTERVAL), ts, $start) AS bucket,
           count(*) AS readings, avg(temperature) AS temperature
    FROM readings
    WHERE ($sensor IS NULL OR sensor = $sensor) AND ts >= $start AND ts < $stop
    GROUP BY ALL
)
SELECT sensor, bucket, coalesce(readings, 0) AS readings, temperature  -- NULL: empty
FROM grid LEFT JOIN bucketed USING (sensor, bucket)
"""
# endregion

# region fills
FILLED_SQL = f"""
WITH dense AS ({DENSE_SQL}),
neighbours AS (
    SELECT *,
        last_value(temperature IGNORE NULLS) OVER before AS previous_value,
        last_value(if(temperature IS NULL, NULL, bucket) IGNORE NULLS) OVER before
            AS previous_bucket,
        first_value(temperature IGNORE NULLS) OVER after AS next_value,
        first_value(if(temperature IS NULL, NULL, bucket) IGNORE NULLS) OVER after
            AS next_bucket
    FROM dense
    WINDOW before AS (PARTITION BY sensor ORDER BY bucket
                      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
           after AS (PARTITION BY sensor ORDER BY bucket
                     ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)
)
SELECT sensor, bucket, readings, temperature,
    previous_value AS carried_forward,  -- NULL only before a sensor's first reading
    CASE WHEN temperature IS NOT NULL THEN temperature
         ELSE previous_value + (next_value - previous_value)  -- NULL with no neighbour
              * datediff('second', previous_bucket, bucket)
              / datediff('second', previous_bucket, next_bucket)
    END AS interpolated
FROM neighbours
ORDER BY sensor, bucket
"""
# endregion


def filled(
    con: duckdb.DuckDBPyConnection,
    width: str,
    start: datetime,
    stop: datetime,
    sensor: str | None = None,
) -> pd.DataFrame:
    """The dense grid of WIDTH buckets in [START, STOP), with the three fills as columns."""
    params = {"width": width, "start": start, "stop": stop, "sensor": sensor}
    return con.execute(FILLED_SQL, params).df()
