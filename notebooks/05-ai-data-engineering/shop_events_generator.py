"""A seeded shop whose customers log in, order, open tickets and cancel (notebook 05-04).

``generate_shop(customers, days, seed)`` returns the raw event tables a feature pipeline
reads: logins, orders, support tickets and cancellations, over DAYS days from START. A
customer who is going to cancel winds down first (fewer logins and orders, more tickets
over the weeks before), which is the honest signal a churn model can learn; after the
cancellation the customer is silent, which is what a feature computed "as of now" sees,
and what leaks the label into a naively joined training set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

START = datetime(2026, 1, 1)  # day 0 of the event log (midnight)

# region rates
CHURN_SHARE = 0.45  # share of customers who cancel at some point (some after the log ends)
WIND_DOWN_DAYS = 45  # how long before cancelling a customer's activity fades
LOGINS_PER_DAY = 0.6  # median login rate of an active customer (log-normal across customers)
ORDERS_PER_DAY = 0.05  # median order rate
TICKETS_PER_DAY = 0.015  # support tickets of a happy customer


def wind_down(days: int, churn_day: np.ndarray) -> np.ndarray:
    """Per customer and day: 0 before the wind-down, rising to 1 on the cancellation day."""
    day = np.arange(days)[None, :]
    progress = (day - (churn_day[:, None] - WIND_DOWN_DAYS)) / WIND_DOWN_DAYS
    return np.clip(progress, 0.0, 1.0)


# endregion


@dataclass(frozen=True)
class Shop:
    customers: pd.DataFrame  # customer_id
    logins: pd.DataFrame  # customer_id, ts
    orders: pd.DataFrame  # customer_id, ts, amount
    tickets: pd.DataFrame  # customer_id, ts
    cancellations: pd.DataFrame  # customer_id, ts (only those inside the log)


def _events(rng: np.random.Generator, rates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts per customer and day, spread over the day: (customer index, ts)."""
    counts = rng.poisson(rates)
    customer, day = np.nonzero(counts)
    repeats = counts[customer, day]
    customer, day = np.repeat(customer, repeats), np.repeat(day, repeats)
    seconds = rng.integers(0, 86_400, size=len(day))
    ts = np.datetime64(START, "s") + (day * 86_400 + seconds).astype("timedelta64[s]")
    order = np.lexsort((ts, customer))
    return customer[order], ts[order].astype("datetime64[us]")


# region generate
def generate_shop(customers: int, days: int, seed: int) -> Shop:
    rng = np.random.default_rng(seed)
    ids = np.arange(1, customers + 1)
    churns = rng.random(customers) < CHURN_SHARE
    # A cancellation day for everyone; "never" is a day far past the log's end.
    churn_day = np.where(churns, rng.integers(10, int(days * 1.4), size=customers), 10 * days)
    fade = wind_down(days, churn_day)
    active = np.arange(days)[None, :] < churn_day[:, None]  # silent from the cancellation on
    taste = rng.lognormal(0.0, 0.5, size=(customers, 1))  # how much each customer uses the shop
    login_rates = LOGINS_PER_DAY * taste * (1.0 - 0.85 * fade) * active
    order_rates = ORDERS_PER_DAY * taste * (1.0 - 0.7 * fade) * active
    ticket_rates = TICKETS_PER_DAY * (1.0 + 5.0 * fade) * active
    frames = {}
    for name, rates in {
        "logins": login_rates,
        "orders": order_rates,
        "tickets": ticket_rates,
    }.items():
        customer, ts = _events(rng, rates)
        frames[name] = pd.DataFrame({"customer_id": ids[customer], "ts": ts})
    frames["orders"]["amount"] = np.round(rng.lognormal(3.5, 0.6, size=len(frames["orders"])), 2)
    inside = churn_day < days
    cancel_seconds = rng.integers(0, 86_400, size=int(inside.sum()))
    cancel_ts = np.datetime64(START, "s") + (churn_day[inside] * 86_400 + cancel_seconds).astype(
        "timedelta64[s]"
    )
    cancellations = pd.DataFrame(
        {"customer_id": ids[inside], "ts": cancel_ts.astype("datetime64[us]")}
    )
    return Shop(pd.DataFrame({"customer_id": ids}), **frames, cancellations=cancellations)


# endregion
