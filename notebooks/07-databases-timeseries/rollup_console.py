"""A refresh console for the hand-built continuous aggregate of 07-04.

Two buttons drive a ``RollupStore``: "late batch arrives" ingests the next rows of a queue
of late readings (each marks the materialized buckets it lands in as stale), "refresh"
runs the refresh. After every action the status line says where the watermark is, how
many buckets wait in the invalidation log, what the last refresh recomputed, and whether
the rollups equal a full recompute from the raw rows. ``arrive_late(n)`` and ``refresh()``
are the methods the buttons call, so a headless run clicks them in code.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import ipywidgets as widgets
import pandas as pd
from continuous_rollup import Refresh, RollupStore


@dataclass(frozen=True)
class ConsoleState:
    watermark: str
    invalid: int  # buckets in the minute rollup's invalidation log
    stale: int  # minute buckets where the rollup differs from a full recompute
    recomputed: int | None  # minute buckets the last refresh recomputed (None before one)
    full_rebuild: int | None  # what a full rebuild would have computed
    matches: bool | None  # both rollups equal a full recompute (None: not checked, stale)
    queued: int  # late rows still to arrive
    refused: int  # late rows refused because the retention policy dropped their range


# region console
class RefreshConsole:
    """Late rows from LATE (a DataFrame, in arrival order) into STORE, refreshes on demand."""

    def __init__(self, store: RollupStore, late: pd.DataFrame, *, batch: int = 200):
        self.store = store
        self.queue = late.reset_index(drop=True)
        self.arrived = 0
        self.last: list[Refresh] | None = None
        self.state: ConsoleState | None = None
        self._rows = widgets.BoundedIntText(value=batch, min=1, max=10_000, description="rows")
        self._late = widgets.Button(description="late batch arrives", icon="clock-o")
        self._refresh = widgets.Button(description="refresh", icon="refresh")
        self._late.on_click(lambda _b: self.arrive_late(self._rows.value))
        self._refresh.on_click(lambda _b: self.refresh())
        self._status = widgets.HTML()
        self.view = widgets.VBox(
            [widgets.HBox([self._rows, self._late, self._refresh]), self._status]
        )
        self._show(check=True)

    def arrive_late(self, n: int) -> ConsoleState:
        """The next N late rows arrive (fewer when the queue runs out)."""
        batch = self.queue.iloc[self.arrived : self.arrived + n]
        self.arrived += len(batch)
        self.store.ingest(batch)
        return self._show(check=False)  # stale until refreshed: nothing to check yet

    def refresh(self) -> ConsoleState:
        self.last = self.store.refresh()
        return self._show(check=True)

    # endregion

    def _show(self, *, check: bool) -> ConsoleState:
        minutes = self.last[0] if self.last else None
        stale = len(self.store.differing("1m"))
        matches = stale == 0 and self.store.differing("1h").empty if check else None
        self.state = ConsoleState(
            watermark=f"{self.store.watermark('1m'):%Y-%m-%d %H:%M}",
            invalid=self.store.pending("1m"),
            stale=stale,
            recomputed=minutes.recomputed if minutes else None,
            full_rebuild=minutes.full_rebuild if minutes else None,
            matches=matches,
            queued=len(self.queue) - self.arrived,
            refused=self.store.refused,
        )
        s = self.state
        last = (
            f"last refresh recomputed {s.recomputed:,} of {s.full_rebuild:,} minute buckets"
            if minutes
            else "no refresh yet"
        )
        if matches is None:
            check = f"<span style='color:#b36b00'>rollup stale in {stale:,} buckets</span>"
        elif matches:
            check = "<span style='color:#2a7d2e'>rollups = full recompute</span>"
        else:
            check = "<span style='color:#b00020'>rollups differ from a full recompute</span>"
        self._status.value = (
            escape(
                f"watermark {s.watermark} · invalid buckets {s.invalid:,} · {last} · "
                f"{s.queued:,} late rows queued · "
            )
            + check
        )
        return self.state
