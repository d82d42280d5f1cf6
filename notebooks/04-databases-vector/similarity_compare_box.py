"""A search box that asks two embedders at once and shows their results side by side.

``search(query)`` is what the button runs, so a headless run calls the same logic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

import ipywidgets as widgets

Search = Callable[[str], Sequence[str]]


class SimilarityCompareBox:
    """Type a question; see the top K section ids of each search function in a column."""

    def __init__(self, searches: dict[str, Search], *, k: int = 5) -> None:
        self.searches = searches
        self.k = k
        self.results: dict[str, list[str]] = {}
        self._query = widgets.Text(placeholder="Ask the library a question", description="Query")
        self._button = widgets.Button(description="Search", icon="search")
        self._table = widgets.HTML()
        self._button.on_click(lambda _button: self.search(self._query.value))
        self._query.continuous_update = False
        self.view = widgets.VBox([widgets.HBox([self._query, self._button]), self._table])

    def search(self, query: str) -> dict[str, list[str]]:
        self._query.value = query
        self.results = {name: list(find(query))[: self.k] for name, find in self.searches.items()}
        self._table.value = self._render()
        return self.results

    def _render(self) -> str:
        head = "".join(f"<th>{escape(name)}</th>" for name in self.results)
        columns = list(self.results.values())
        depth = min(len(ids) for ids in columns)
        cells = [
            "".join(f"<td>{escape(ids[rank])}</td>" for ids in columns) for rank in range(depth)
        ]
        rows = "".join(f"<tr>{row}</tr>" for row in cells)
        return f"<table><tr>{head}</tr>{rows}</table>"
