"""A labelled training table that changes over versions, seeded (notebook 05-05).

Version 0 holds ``rows`` rows in ingestion batches of ``batch_rows``. Every later version
appends new batches, corrects the labels of a share of rows inside one or two re-annotated
batches, and deletes rows of one withdrawn batch: the way training data really changes
(mostly appends; fixes and removals in a few places). ``evolve`` returns every version as
a pandas DataFrame and the list of changes that led to it, so each store is checked
against the same truth.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

COLUMNS = ("id", "batch", "text", "x1", "x2", "x3", "label")
WORDS = np.array(
    "order arrived late early broken works refund happy sad fast slow great poor box "
    "driver support price quality again never always item size colour return".split()
)
WEIGHTS = np.array([1.0, -1.0, 0.5])  # the hidden rule that makes labels learnable


# region generate
def new_rows(
    rng: np.random.Generator, first_id: int, count: int, first_batch: int, batch_rows: int
) -> pd.DataFrame:
    """COUNT new labelled rows: three features, a short text, a noisy label, a batch number."""
    features = rng.normal(size=(count, 3))
    lengths = rng.integers(6, 14, size=count)
    words = rng.choice(WORDS, size=(count, 13))
    noise = rng.normal(scale=0.5, size=count)
    return pd.DataFrame(
        {
            "id": np.arange(first_id, first_id + count, dtype=np.int64),
            "batch": (first_batch + np.arange(count) // batch_rows).astype(np.int32),
            "text": [
                " ".join(row[:length])
                for row, length in zip(words.tolist(), lengths.tolist(), strict=True)
            ],
            "x1": features[:, 0],
            "x2": features[:, 1],
            "x3": features[:, 2],
            "label": (features @ WEIGHTS + noise > 0).astype(np.int8),
        }
    )


# endregion


@dataclass(frozen=True)
class Change:
    """What turned version ``version - 1`` into ``version``."""

    version: int
    added: pd.DataFrame  # whole new rows
    relabelled: dict[int, int]  # id -> corrected label
    deleted: tuple[int, ...]  # ids removed


# region evolve
def plan_change(
    rng: np.random.Generator,
    current: pd.DataFrame,
    version: int,
    *,
    appended: int,
    changed: int,
    batch_rows: int,
) -> Change:
    """Append APPENDED rows; relabel CHANGED rows in as few batches as hold them (at most
    half of each); delete CHANGED // 4 rows of one other batch."""
    batches = np.unique(current["batch"])
    touched = math.ceil(changed / (batch_rows // 2))
    chosen = rng.choice(batches, size=touched + 1, replace=False)
    fix_pool = current[current["batch"].isin(chosen[:touched])]
    fixed = rng.choice(fix_pool["id"].to_numpy(), size=changed, replace=False)
    old = current.set_index("id").loc[fixed, "label"]
    delete_pool = current.loc[current["batch"] == chosen[-1], "id"].to_numpy()
    deleted = rng.choice(delete_pool, size=min(changed // 4, len(delete_pool)), replace=False)
    added = new_rows(
        rng, int(current["id"].max()) + 1, appended, int(batches.max()) + 1, batch_rows
    )
    return Change(
        version,
        added,
        {int(i): int(1 - label) for i, label in old.items()},
        tuple(sorted(int(i) for i in deleted)),
    )


def apply_change(current: pd.DataFrame, change: Change) -> pd.DataFrame:
    """The next version: CURRENT with CHANGE applied, ordered by id."""
    result = current[~current["id"].isin(change.deleted)].copy()
    fixes = result["id"].map(change.relabelled)
    result["label"] = fixes.fillna(result["label"]).astype(np.int8)
    return pd.concat([result, change.added], ignore_index=True).sort_values("id", ignore_index=True)


def evolve(
    rows: int,
    versions: int,
    *,
    append_share: float,
    changed_share: float,
    batch_rows: int,
    seed: int,
) -> tuple[list[pd.DataFrame], list[Change]]:
    """VERSIONS versions of the table (version 0 first) and the changes between them."""
    rng = np.random.default_rng(seed)
    tables, changes = [new_rows(rng, 0, rows, 0, batch_rows)], []
    for version in range(1, versions):
        change = plan_change(
            rng,
            tables[-1],
            version,
            appended=round(rows * append_share),
            changed=round(rows * changed_share),
            batch_rows=batch_rows,
        )
        changes.append(change)
        tables.append(apply_change(tables[-1], change))
    return tables, changes


# endregion


# region fingerprint
def fingerprint(relation: duckdb.DuckDBPyRelation) -> str:
    """sha256 of the rows in id order, every column as text: equal iff the data is equal."""
    row = ", ".join(COLUMNS)
    canonical = relation.aggregate(
        f"string_agg(concat_ws('|', {row}), chr(10) ORDER BY id) AS rows"
    ).fetchall()[0][0]
    return hashlib.sha256((canonical or "").encode()).hexdigest()


# endregion
