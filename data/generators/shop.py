"""Deterministic generator of the course's shop data set (customers, products, orders).

Standard library only, so any lesson, script or example can use it. The same seed and
sizes give the same rows on every machine:

    python data/generators/shop.py --seed 7 --customers 50 --orders 200 > shop.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import UTC, datetime, timedelta

START = datetime(2025, 1, 1, tzinfo=UTC)
COUNTRIES = ["DE", "FR", "GB", "NL", "SE", "US", "CA", "BR", "JP", "IN"]
FIRST = [
    "Ada",
    "Alan",
    "Grace",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Radia",
    "Linus",
    "Margaret",
    "Dennis",
    "Hedy",
    "Tim",
    "Katherine",
    "Guido",
    "Sophie",
    "Yukihiro",
]
LAST = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Perlman",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Lamarr",
    "Berners-Lee",
    "Johnson",
    "van Rossum",
    "Wilson",
    "Matsumoto",
]
CATEGORIES = {
    "books": ["SQL Pocket Guide", "Designing Data-Intensive Apps", "Database Internals"],
    "hardware": ["Mechanical Keyboard", "USB-C Dock", "27in Monitor", "Trackball"],
    "office": ["Standing Desk", "Desk Lamp", "Notebook (dotted)", "Whiteboard"],
    "cloud": ["Managed Postgres (month)", "Object Storage (TB)", "Edge Functions (1M)"],
}
STATUSES = ["pending", "paid", "shipped", "cancelled"]
STATUS_WEIGHTS = [1, 5, 6, 1]


def generate(seed: int = 42, customers: int = 200, orders: int = 1000) -> dict[str, list[dict]]:
    """Rows for the tables customer, product, orders and order_item (ids start at 1)."""
    if customers < 1 or orders < 0:
        raise ValueError("customers must be >= 1 and orders >= 0")
    rng = random.Random(seed)
    customer_rows = []
    for cid in range(1, customers + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        customer_rows.append(
            {
                "id": cid,
                "name": f"{first} {last}",
                "email": f"{first}.{last}.{cid}@example.com".lower().replace(" ", ""),
                "country": rng.choice(COUNTRIES),
                "created_at": START + timedelta(minutes=rng.randrange(0, 60 * 24 * 90)),
            }
        )
    product_rows = []
    for category, names in CATEGORIES.items():
        for name in names:
            pid = len(product_rows) + 1
            product_rows.append(
                {
                    "id": pid,
                    "sku": f"{category[:3].upper()}-{pid:04d}",
                    "name": name,
                    "category": category,
                    "price_cents": rng.randrange(499, 89_999, 100),
                }
            )
    order_rows, item_rows = [], []
    # Minutes, not seconds: several orders share a timestamp, as in real traffic, which is
    # what makes a cursor on created_at alone unsafe (the lessons show it).
    stamps = sorted(rng.randrange(0, 60 * 24 * 365) for _ in range(orders))
    for oid, minute in enumerate(stamps, start=1):
        order_rows.append(
            {
                "id": oid,
                "customer_id": rng.randrange(1, customers + 1),
                "status": rng.choices(STATUSES, weights=STATUS_WEIGHTS)[0],
                "created_at": START + timedelta(minutes=minute),
            }
        )
        for product in rng.sample(product_rows, k=rng.randint(1, 4)):
            item_rows.append(
                {
                    "id": len(item_rows) + 1,
                    "order_id": oid,
                    "product_id": product["id"],
                    "quantity": rng.randint(1, 5),
                    "unit_price_cents": product["price_cents"],
                }
            )
    return {
        "customer": customer_rows,
        "product": product_rows,
        "orders": order_rows,
        "order_item": item_rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--orders", type=int, default=1000)
    args = parser.parse_args(argv)
    try:
        rows = generate(args.seed, args.customers, args.orders)
    except ValueError as exc:
        print(f"shop.py: error: {exc}", file=sys.stderr)
        return 2
    json.dump(rows, sys.stdout, default=lambda v: v.isoformat(), indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
