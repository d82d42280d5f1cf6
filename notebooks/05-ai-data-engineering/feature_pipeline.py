"""A small feature store on DuckDB, Parquet and SQLite (notebook 05-04).

The offline store is Parquet files written and read by DuckDB: daily activity snapshots
per customer, order features per order, and the labels. Training sets are built with a
point-in-time ``ASOF JOIN`` (or, to show the leak, a naive join to the latest row). The
online store is a SQLite table with one row per customer, filled by an incremental
materialization that reads only the offline rows newer than its watermark.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

FEATURES = ["logins_7d", "logins_30d", "tickets_30d", "days_since_last_login"]
LABEL_HORIZON_DAYS = 30  # "churned within 30 days after the prediction time"


# region activity-features
ACTIVITY_FEATURES = """
CREATE OR REPLACE TABLE activity_features AS
WITH grid AS (  -- every customer on every day: a batch job runs daily for all of them
    SELECT customer_id, day FROM customers CROSS JOIN range($days) AS days(day)
), login_days AS (
    SELECT customer_id, date_diff('day', $start, ts) AS day, count(*) AS n, max(ts) AS last_ts
    FROM logins GROUP BY ALL
), ticket_days AS (
    SELECT customer_id, date_diff('day', $start, ts) AS day, count(*) AS n
    FROM tickets GROUP BY ALL
), daily AS (
    SELECT g.customer_id, g.day, coalesce(l.n, 0) AS logins, coalesce(t.n, 0) AS tickets,
           max(l.last_ts) OVER (PARTITION BY g.customer_id ORDER BY g.day) AS last_login
    FROM grid g
    LEFT JOIN login_days l USING (customer_id, day)
    LEFT JOIN ticket_days t USING (customer_id, day)
)
SELECT customer_id,
       $start + to_days(CAST(day + 1 AS INTEGER)) AS ts,  -- computed at the end of the day
       CAST(sum(logins) OVER (w ROWS 6 PRECEDING) AS INTEGER) AS logins_7d,
       CAST(sum(logins) OVER (w ROWS 29 PRECEDING) AS INTEGER) AS logins_30d,
       CAST(sum(tickets) OVER (w ROWS 29 PRECEDING) AS INTEGER) AS tickets_30d,
       round(date_diff('minute', coalesce(last_login, $start),
                       $start + to_days(CAST(day + 1 AS INTEGER))) / 1440, 2)
           AS days_since_last_login
FROM daily
WINDOW w AS (PARTITION BY customer_id ORDER BY day)
ORDER BY ts, customer_id
"""
# endregion

# region order-features
ORDER_FEATURES = """
CREATE OR REPLACE TABLE order_features AS
SELECT customer_id, ts,  -- one row per order, as of that order (event-time features)
       CAST(count(*) OVER w AS INTEGER) AS orders_90d,
       round(sum(amount) OVER w, 2) AS spend_90d
FROM orders
WINDOW w AS (PARTITION BY customer_id ORDER BY ts
             RANGE BETWEEN INTERVAL 90 DAYS PRECEDING AND CURRENT ROW)
ORDER BY ts, customer_id
"""
# endregion

# region labels
LABELS = """
CREATE OR REPLACE TABLE labels AS
SELECT c.customer_id, p.ts,  -- a prediction every week, for customers still with us
       (x.ts IS NOT NULL AND x.ts <= p.ts + to_days($horizon)) AS churned
FROM customers c
CROSS JOIN (SELECT $start + to_days(CAST(d AS INTEGER)) AS ts
            FROM range($first, $last + 1, 7) AS t(d)) p
LEFT JOIN cancellations x USING (customer_id)
WHERE x.ts IS NULL OR x.ts > p.ts
ORDER BY p.ts, c.customer_id
"""
# endregion


def build_offline_store(
    con: duckdb.DuckDBPyConnection, folder: Path, start: datetime, days: int
) -> dict[str, Path]:
    """Compute the feature tables and labels, write each to Parquet, return the files."""
    first_prediction = 28  # the 30-day windows are full from here on
    last_prediction = days - LABEL_HORIZON_DAYS  # the label's 30 days fit in the log
    con.execute(ACTIVITY_FEATURES, {"start": start, "days": days})
    con.execute(ORDER_FEATURES)
    con.execute(
        LABELS,
        {
            "start": start,
            "first": first_prediction,
            "last": last_prediction,
            "horizon": LABEL_HORIZON_DAYS,
        },
    )
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for table in ("activity_features", "order_features", "labels"):
        files[table] = folder / f"{table}.parquet"
        con.execute(f"COPY {table} TO '{files[table]}' (FORMAT parquet)")
        con.execute(f"DROP TABLE {table}")  # from here on, only the Parquet files
    return files


# region asof-join
POINT_IN_TIME = """
SELECT l.customer_id, l.ts, l.churned, f.ts AS feature_ts,
       f.logins_7d, f.logins_30d, f.tickets_30d, f.days_since_last_login
FROM read_parquet($labels) l
ASOF JOIN read_parquet($features) f
  ON l.customer_id = f.customer_id AND l.ts >= f.ts  -- the latest row at or before l.ts
ORDER BY l.ts, l.customer_id
"""
# endregion

# region naive-join
NAIVE = """
WITH latest AS (  -- "the customer's features": the newest row, computed as of today
    SELECT * FROM read_parquet($features)
    QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY ts DESC) = 1
)
SELECT l.customer_id, l.ts, l.churned, f.ts AS feature_ts,
       f.logins_7d, f.logins_30d, f.tickets_30d, f.days_since_last_login
FROM read_parquet($labels) l JOIN latest f USING (customer_id)
ORDER BY l.ts, l.customer_id
"""
# endregion


# region online-store
ONLINE_SCHEMA = """
CREATE TABLE IF NOT EXISTS online_features (
    customer_id INTEGER PRIMARY KEY,
    feature_ts TEXT NOT NULL,  -- when the offline row was computed
    logins_7d INTEGER, logins_30d INTEGER, tickets_30d INTEGER, days_since_last_login REAL
);
CREATE TABLE IF NOT EXISTS materializations (
    feature_view TEXT PRIMARY KEY, watermark TEXT NOT NULL  -- the newest ts copied so far
);
"""
UPSERT = """
INSERT INTO online_features VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (customer_id) DO UPDATE SET
    feature_ts = excluded.feature_ts, logins_7d = excluded.logins_7d,
    logins_30d = excluded.logins_30d, tickets_30d = excluded.tickets_30d,
    days_since_last_login = excluded.days_since_last_login
WHERE excluded.feature_ts > online_features.feature_ts  -- never go back in time
"""


def open_online_store(path: Path) -> sqlite3.Connection:
    online = sqlite3.connect(path)
    online.executescript(ONLINE_SCHEMA)
    return online


# endregion


# region materialize
def materialize_incremental(
    con: duckdb.DuckDBPyConnection, online: sqlite3.Connection, features: Path, end: datetime
) -> dict[str, int]:
    """Copy each customer's newest offline row in (watermark, end] to the online store."""
    row = online.execute(
        "SELECT watermark FROM materializations WHERE feature_view = 'activity'"
    ).fetchone()
    watermark = datetime.fromisoformat(row[0]) if row else datetime.min
    latest = con.execute(
        """
        SELECT customer_id, ts, logins_7d, logins_30d, tickets_30d, days_since_last_login,
               count(*) OVER () AS scanned  -- counted before QUALIFY keeps the newest
        FROM read_parquet($features) WHERE ts > $since AND ts <= $end
        QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY ts DESC) = 1
        ORDER BY customer_id
        """,
        {"features": str(features), "since": watermark, "end": end},
    ).fetchall()
    scanned = latest[0][-1] if latest else 0
    rows = [(r[0], r[1].isoformat(), *r[2:-1]) for r in latest]
    with online:  # one transaction: rows and the new watermark together, or neither
        before = online.total_changes
        online.executemany(UPSERT, rows)
        upserted = online.total_changes - before
        if rows:
            newest = max(r[1] for r in rows)
            online.execute(
                "INSERT INTO materializations VALUES ('activity', ?) ON CONFLICT (feature_view)"
                " DO UPDATE SET watermark = excluded.watermark",
                (newest,),
            )
    return {"rows_scanned": scanned, "customers_upserted": upserted}


# endregion


# region online-lookup
def online_features(online: sqlite3.Connection, customer_id: int) -> dict | None:
    """The serving path: one primary-key read, no joins, no scans."""
    cursor = online.execute("SELECT * FROM online_features WHERE customer_id = ?", (customer_id,))
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([column[0] for column in cursor.description], row, strict=True))


def is_fresh(features: dict, now: datetime, ttl: timedelta) -> bool:
    """A feature row older than its TTL is stale: serve a default, or alert, not a guess."""
    return now - datetime.fromisoformat(features["feature_ts"]) <= ttl


# endregion
