"""Seeded trades and quotes for a few symbols (07-05), the way a market-data feed delivers them.

``ticks(symbols, minutes, quotes_per_s, trades_per_s, seed)`` returns two frames:

- ``quotes``: ts, symbol, bid, ask, bid_size, ask_size. Each symbol's best bid and ask,
  updated at irregular times (exponential gaps, mean 1/QUOTES_PER_S seconds); the bid
  moves a tick at a time and the spread is one to three ticks;
- ``trades``: ts, symbol, price, size, side. Fewer than quotes (mean gap 1/TRADES_PER_S
  seconds); ``side`` is the aggressor's ("buy" lifted the ask, "sell" hit the bid).

Timestamps are naive UTC ``datetime64[us]``, unique within a symbol and table. Built in,
because the lesson needs them:

- most trades print at the touch (a buy at the ask, a sell at the bid); some get a
  price improvement (at the mid), some walk the book (a tick through the touch);
- a few trades are stamped the same microsecond as the quote they traded against, so
  ``>=`` and ``>`` in an as-of join give different answers;
- each symbol's first quote comes a moment after the open, so its first trades have no
  prevailing quote;
- each symbol's quote feed stalls twice for a few seconds: the market moves on (trades
  are priced off the quotes nobody saw), so the last quote seen before a stall is stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

SESSION_OPEN = datetime(2026, 11, 2, 14, 30)  # 09:30 in New York, as naive UTC
REFERENCE_PRICES = {  # the previous close of each symbol
    "ACME": 42.00,
    "BOLT": 118.50,
    "CRUX": 7.25,
    "DYNA": 251.30,
    "EPIC": 63.10,
    "FIZZ": 15.40,
    "GRIT": 88.80,
    "HALO": 33.35,
}
TICK = 0.01
STALLS_PER_SYMBOL = 2
STALL_SECONDS = (2.0, 8.0)  # shortest and longest feed stall
FIRST_QUOTE_SECONDS = (0.5, 3.0)  # how long after the open each symbol's first quote comes
SAME_MICROSECOND_SHARE = 0.05  # trades stamped with the microsecond of their quote
IMPROVED_SHARE, THROUGH_SHARE = 0.12, 0.08  # trades at the mid, and a tick through the touch


@dataclass(frozen=True)
class Ticks:
    quotes: pd.DataFrame
    trades: pd.DataFrame


def symbol_names(symbols: int) -> list[str]:
    if not 1 <= symbols <= len(REFERENCE_PRICES):
        raise ValueError(f"symbols: expected 1..{len(REFERENCE_PRICES)}, got {symbols}")
    return list(REFERENCE_PRICES)[:symbols]


def _arrivals(rng: np.random.Generator, per_s: float, start_us: int, end_us: int) -> np.ndarray:
    """Microsecond times from START_US to END_US with exponential gaps (at least 1 us)."""
    expected = int((end_us - start_us) / 1e6 * per_s * 1.2) + 16
    gaps = np.maximum(1, rng.exponential(1e6 / per_s, expected).astype(np.int64))
    times = start_us + np.cumsum(gaps)
    while times[-1] < end_us:  # rare: draw more
        more = np.maximum(1, rng.exponential(1e6 / per_s, expected).astype(np.int64))
        times = np.concatenate([times, times[-1] + np.cumsum(more)])
    return times[times < end_us]


def _symbol_ticks(rng, symbol, minutes, quotes_per_s, trades_per_s):
    end_us = int(minutes * 60e6)
    first = int(rng.uniform(*FIRST_QUOTE_SECONDS) * 1e6)
    quote_us = _arrivals(rng, quotes_per_s, first, end_us)
    steps = rng.choice([-1, 0, 1], size=len(quote_us), p=[0.15, 0.7, 0.15])
    bid_ticks = round(REFERENCE_PRICES[symbol] / TICK) + np.cumsum(steps)
    spread_ticks = rng.choice([1, 2, 3], size=len(quote_us), p=[0.7, 0.2, 0.1])
    bid, ask = bid_ticks * TICK, (bid_ticks + spread_ticks) * TICK
    published = np.ones(len(quote_us), dtype=bool)
    for _ in range(STALLS_PER_SYMBOL):
        begin = rng.uniform(0.1, 0.9) * end_us
        published &= ~((quote_us >= begin) & (quote_us < begin + rng.uniform(*STALL_SECONDS) * 1e6))

    trade_us = _arrivals(rng, trades_per_s, 0, end_us)
    # Some trades carry the microsecond of the last published quote before them.
    last_seen = np.searchsorted(quote_us[published], trade_us, side="right") - 1
    snap = (rng.random(len(trade_us)) < SAME_MICROSECOND_SHARE) & (last_seen >= 0)
    trade_us[snap] = quote_us[published][last_seen[snap]]
    trade_us = np.unique(trade_us)  # sorted; a snapped trade that met another is one trade
    # region pricing
    # Priced off the true book, published or not: the market does not stop for a feed stall.
    true = np.searchsorted(quote_us, trade_us, side="right") - 1
    side = rng.choice([1, -1], size=len(trade_us))
    kind = rng.random(len(trade_us))
    touch = np.where(side == 1, ask[true], bid[true])
    mid = (bid[true] + ask[true]) / 2
    price = np.where(kind < IMPROVED_SHARE, mid, touch)
    price = np.where(kind > 1 - THROUGH_SHARE, touch + side * TICK, price)
    price = np.where(true >= 0, price, REFERENCE_PRICES[symbol])  # before any quote
    # endregion
    start = np.datetime64(SESSION_OPEN, "us")
    quotes = pd.DataFrame(
        {
            "ts": start + quote_us[published].astype("timedelta64[us]"),
            "symbol": symbol,
            "bid": bid[published].round(2),
            "ask": ask[published].round(2),
            "bid_size": rng.integers(1, 11, published.sum()) * 100,
            "ask_size": rng.integers(1, 11, published.sum()) * 100,
        }
    )
    trades = pd.DataFrame(
        {
            "ts": start + trade_us.astype("timedelta64[us]"),
            "symbol": symbol,
            "price": price.round(3),
            "size": rng.integers(1, 30, len(trade_us)) * 100,
            "side": np.where(side == 1, "buy", "sell"),
        }
    )
    return quotes, trades


def ticks(
    symbols: int = 4,
    minutes: float = 30,
    quotes_per_s: float = 20.0,
    trades_per_s: float = 2.0,
    seed: int = 7,
) -> Ticks:
    """MINUTES of a session from the open for SYMBOLS symbols; the same arguments, the same ticks.

    Both frames are sorted by ts then symbol, as one feed interleaves the symbols.
    """
    rng = np.random.default_rng(seed)
    parts = [
        _symbol_ticks(rng, symbol, minutes, quotes_per_s, trades_per_s)
        for symbol in symbol_names(symbols)
    ]
    quotes = pd.concat([q for q, _ in parts], ignore_index=True)
    trades = pd.concat([t for _, t in parts], ignore_index=True)
    return Ticks(
        quotes.sort_values(["ts", "symbol"], kind="stable", ignore_index=True),
        trades.sort_values(["ts", "symbol"], kind="stable", ignore_index=True),
    )
