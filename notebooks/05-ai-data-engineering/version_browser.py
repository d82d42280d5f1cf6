"""A version browser over any versioned table (notebook 05-05).

Pick a version in the dropdown: its row count, its label distribution, and its diff
against the previous version (ids added, removed, and whose row changed). ``show(n)`` is
what the dropdown runs, so a headless run calls the same logic and checks what it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import ipywidgets as widgets


@dataclass(frozen=True)
class VersionView:
    version: int
    rows: int
    labels: dict[int, int]  # label -> rows
    added: tuple[int, ...]  # ids new in this version
    removed: tuple[int, ...]  # ids gone since the previous version
    changed: tuple[int, ...]  # ids in both whose row differs


# region browser
class VersionBrowser:
    """READ(con, version) gives a version as a DuckDB relation (Delta time travel, a manifest)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        read: Callable[[duckdb.DuckDBPyConnection, int], duckdb.DuckDBPyRelation],
        versions: int,
    ):
        self.con, self.read, self.current = con, read, None
        self._pick = widgets.Dropdown(
            options=list(range(versions)), value=None, description="Version"
        )
        self._info = widgets.HTML()
        self._pick.observe(self._picked, names="value")
        self.view = widgets.VBox([self._pick, self._info])

    def show(self, version: int) -> VersionView:
        this = self.read(self.con, version)
        rows = this.count("*").fetchall()[0][0]
        labels = dict(this.aggregate("label, count(*)").order("label").fetchall())
        added = removed = changed = ()
        if version > 0:
            this.create_view("this_version", replace=True)
            self.read(self.con, version - 1).create_view("previous_version", replace=True)
            diff = self.con.sql("""
                SELECT coalesce(n.id, o.id) AS id,
                       CASE WHEN o.id IS NULL THEN 'added' WHEN n.id IS NULL THEN 'removed'
                            ELSE 'changed' END AS kind
                FROM this_version AS n FULL OUTER JOIN previous_version AS o ON n.id = o.id
                WHERE o.id IS NULL OR n.id IS NULL OR n <> o ORDER BY id""").fetchall()
            added, removed, changed = (
                tuple(i for i, k in diff if k == kind) for kind in ("added", "removed", "changed")
            )
        self.current = VersionView(version, rows, labels, added, removed, changed)
        self._pick.value = version
        self._info.value = self._render(self.current)
        return self.current

    def _picked(self, change: dict) -> None:
        if self.current is None or change["new"] != self.current.version:  # not show()'s own
            self.show(change["new"])

    # endregion

    @staticmethod
    def _render(view: VersionView) -> str:
        share = view.labels.get(1, 0) / view.rows if view.rows else 0.0
        parts = [f"<b>version {view.version}</b>: {view.rows:,} rows, label 1 in {share:.1%}"]
        if view.version > 0:
            for name, ids in (
                ("added", view.added),
                ("removed", view.removed),
                ("changed", view.changed),
            ):
                sample = ", ".join(map(str, ids[:5])) + (" ..." if len(ids) > 5 else "")
                parts.append(f"{name}: {len(ids):,} <small>{sample}</small>")
        return "<br>".join(parts)
