"""Trades joined to the prevailing quote, and bars from trades, on DuckDB (07-05).

The as-of join four ways (DuckDB's ``ASOF JOIN``, pandas ``merge_asof``, a ``LATERAL``
subquery as PostgreSQL and TimescaleDB write it, a window over the merged streams), a
tolerance (a quote older than it is not prevailing), the costs of trading that the
join makes measurable (effective spread, slippage), and OHLCV bars with VWAP.
"""

from __future__ import annotations

import time

import duckdb
import pandas as pd

# The columns every version of the join returns, in this order, sorted by symbol and ts.
JOINED = ["symbol", "ts", "price", "size", "side", "quote_ts", "bid", "ask"]
BAR_SIZES = {  # widget label: (DuckDB interval, pandas frequency)
    "10s": ("10 seconds", "10s"),
    "30s": ("30 seconds", "30s"),
    "1m": ("1 minute", "1min"),
    "5m": ("5 minutes", "5min"),
}


def load(con: duckdb.DuckDBPyConnection, quotes: pd.DataFrame, trades: pd.DataFrame) -> None:
    """The feed's two tables, stored in time order (what a time-series engine keeps)."""
    for name, frame in (("quotes", quotes), ("trades", trades)):
        con.register("feed", frame)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM feed ORDER BY ts, symbol")
        con.unregister("feed")


# region asof
ASOF = """
SELECT t.symbol, t.ts, t.price, t.size, t.side, q.ts AS quote_ts, q.bid, q.ask
FROM trades t
ASOF LEFT JOIN quotes q
    ON t.symbol = q.symbol AND t.ts >= q.ts  -- the latest quote at or before the trade
ORDER BY t.symbol, t.ts
"""


def asof_pandas(trades: pd.DataFrame, quotes: pd.DataFrame, **options) -> pd.DataFrame:
    """The same join in pandas: both sides sorted on the time key, matched within symbol."""
    joined = pd.merge_asof(
        trades.sort_values("ts"),
        quotes[["symbol", "ts", "bid", "ask"]]
        .rename(columns={"ts": "quote_ts"})
        .sort_values("quote_ts"),
        left_on="ts",
        right_on="quote_ts",
        by="symbol",
        direction="backward",  # the latest quote at or before (allow_exact_matches=True)
        **options,
    )
    return joined[JOINED].sort_values(["symbol", "ts"], ignore_index=True)


# endregion

# region lateral
# PostgreSQL and TimescaleDB have no ASOF JOIN: for each trade, the newest quote at or
# before it, one indexed lookup per trade with an index on quotes (symbol, ts DESC).
LATERAL = """
SELECT t.symbol, t.ts, t.price, t.size, t.side, q.quote_ts, q.bid, q.ask
FROM {trades} t
LEFT JOIN LATERAL (
    SELECT q.ts AS quote_ts, q.bid, q.ask FROM quotes q
    WHERE q.symbol = t.symbol AND q.ts <= t.ts
    ORDER BY q.ts DESC LIMIT 1
) q ON true
ORDER BY t.symbol, t.ts
"""
# One pass over both streams merged in time order: each trade carries forward the last
# quote seen. At equal timestamps the quote sorts first, so "at or before" holds.
WINDOW = """
WITH events AS (
    SELECT symbol, ts, 0 AS is_trade, NULL AS price, NULL AS size, NULL AS side,
           ts AS quote_ts, bid, ask FROM quotes
    UNION ALL
    SELECT symbol, ts, 1, price, size, side, NULL, NULL, NULL FROM {trades}
), carried AS (
    SELECT *, last_value(quote_ts IGNORE NULLS) OVER w AS seen_ts,
              last_value(bid IGNORE NULLS) OVER w AS seen_bid,
              last_value(ask IGNORE NULLS) OVER w AS seen_ask
    FROM events
    WINDOW w AS (PARTITION BY symbol ORDER BY ts, is_trade ROWS UNBOUNDED PRECEDING)
)
SELECT symbol, ts, price::DOUBLE AS price, size::BIGINT AS size, side::VARCHAR AS side,
       seen_ts AS quote_ts, seen_bid AS bid, seen_ask AS ask
FROM carried WHERE is_trade = 1
ORDER BY symbol, ts
"""
# endregion

# region tolerance
# ASOF JOIN has no tolerance argument, and a second inequality in its ON clause is refused
# ("Multiple ASOF JOIN inequalities"). The latest quote is the nearest one, so "no quote
# within the tolerance" is "the latest quote is older than it": join, then blank the stale
# matches, keeping the trade (a WHERE would drop the trade itself).
WITH_TOLERANCE = """
WITH matched AS (
    SELECT t.symbol, t.ts, t.price, t.size, t.side, q.ts AS quote_ts, q.bid, q.ask
    FROM trades t ASOF LEFT JOIN quotes q ON t.symbol = q.symbol AND t.ts >= q.ts
)
SELECT symbol, ts, price, size, side,
       CASE WHEN fresh THEN quote_ts END AS quote_ts,
       CASE WHEN fresh THEN bid END AS bid,
       CASE WHEN fresh THEN ask END AS ask
FROM (SELECT *, ts - quote_ts <= to_microseconds(?::BIGINT) AS fresh FROM matched)
ORDER BY symbol, ts
"""
# endregion

# region costs
# Per trade, against the prevailing quote: d = +1 for a buy, -1 for a sell.
#   effective spread = 2 d (price - mid): what a round trip at this price costs
#   slippage         = d (price - touch): paid beyond the quote on the trade's side
COSTS = """
WITH priced AS (
    SELECT *, CASE side WHEN 'buy' THEN 1 ELSE -1 END AS d, (bid + ask) / 2 AS mid
    FROM ({joined}) WHERE bid IS NOT NULL
)
SELECT symbol, ts, side, price, size, bid, ask, mid,
       ask - bid AS quoted_spread,
       2 * d * (price - mid) AS effective_spread,
       1e4 * 2 * d * (price - mid) / mid AS effective_bps,
       d * (price - CASE WHEN d = 1 THEN ask ELSE bid END) AS slippage
FROM priced
ORDER BY symbol, ts
"""
# endregion

# region bars
BARS = """
SELECT symbol, time_bucket(INTERVAL '{width}', ts) AS bar,
       arg_min(price, ts) AS open, max(price) AS high, min(price) AS low,
       arg_max(price, ts) AS close,
       sum(size)::BIGINT AS volume, sum(price * size) / sum(size) AS vwap,
       count(*) AS trades
FROM trades {where}
GROUP BY ALL
ORDER BY symbol, bar
"""


def bars(con: duckdb.DuckDBPyConnection, bar: str, symbol: str | None = None) -> pd.DataFrame:
    """OHLCV bars of BAR (a key of BAR_SIZES) per symbol, or for one SYMBOL."""
    where = "WHERE symbol = ?" if symbol else ""
    query = BARS.format(width=BAR_SIZES[bar][0], where=where)
    return con.execute(query, [symbol] if symbol else []).df()


def bars_pandas(trades: pd.DataFrame, bar: str) -> pd.DataFrame:
    """The same bars in pandas: floor the time, then first/last of trades in time order."""
    frame = trades.sort_values(["symbol", "ts"]).assign(
        bar=lambda f: f["ts"].dt.floor(BAR_SIZES[bar][1]), notional=lambda f: f["price"] * f["size"]
    )
    grouped = frame.groupby(["symbol", "bar"], sort=True)
    result = grouped.agg(
        open=("price", "first"),
        high=("price", "max"),
        low=("price", "min"),
        close=("price", "last"),
        volume=("size", "sum"),
        notional=("notional", "sum"),
        trades=("price", "size"),
    ).reset_index()
    result["vwap"] = result.pop("notional") / result["volume"]
    return result[["symbol", "bar", "open", "high", "low", "close", "volume", "vwap", "trades"]]


# endregion


# region timing
def time_joins(con: duckdb.DuckDBPyConnection, sizes: list[int], repeats: int = 2) -> pd.DataFrame:
    """Seconds (best of REPEATS) for ASOF JOIN and the LATERAL subquery on the first N trades."""
    rows = []
    for n in sizes:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE first_trades AS FROM trades ORDER BY ts LIMIT {n}"
        )
        asof = ASOF.replace("FROM trades t", "FROM first_trades t")
        lateral = LATERAL.format(trades="first_trades")
        row = {"trades": n}
        for name, query in (("asof_join_s", asof), ("lateral_s", lateral)):
            best = float("inf")
            for _ in range(repeats):
                started = time.perf_counter()
                con.execute(query).fetchall()
                best = min(best, time.perf_counter() - started)
            row[name] = best
        rows.append(row)
    table = pd.DataFrame(rows)
    table["lateral_over_asof"] = table["lateral_s"] / table["asof_join_s"]
    return table


# endregion
