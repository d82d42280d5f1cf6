"""A search box with skill checkboxes that drives the search-filter API over HTTP (04-07).

``search(query, skill=...)`` is what the button and the checkboxes run, so a headless run
calls the same logic: it ticks the boxes, sends ``GET /search``, and shows the results,
each skill's count beside its checkbox and the matching reference files with theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import httpx
import ipywidgets as widgets


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict


class FacetedSearchBox:
    """Search the library through CLIENT (an httpx client on the served API)."""

    def __init__(self, client: httpx.Client, skills: list[str], *, k: int = 5):
        self.client = client
        self.k = k
        self.last: Answer | None = None
        self._query = widgets.Text(placeholder="Ask the library", description="Query")
        self._button = widgets.Button(description="Search", icon="search")
        self._boxes = {skill: widgets.Checkbox(description=skill, indent=False) for skill in skills}
        self._setting_boxes = False  # ticks made by search() itself must not search again
        for box in self._boxes.values():
            box.observe(self._on_tick, names="value")
        self._button.on_click(lambda _button: self.search(self._query.value, self.ticked()))
        self._status = widgets.HTML()
        self._results = widgets.HTML()
        self._files = widgets.HTML()
        facets = widgets.VBox([widgets.HTML("<b>Skill</b>"), *self._boxes.values(), self._files])
        self.view = widgets.VBox(
            [
                widgets.HBox([self._query, self._button]),
                self._status,
                widgets.HBox([facets, self._results]),
            ]
        )

    def ticked(self) -> list[str]:
        return [skill for skill, box in self._boxes.items() if box.value]

    def box_labels(self) -> dict[str, str]:
        """What each checkbox says now, e.g. {"auth-security": "auth-security (12)"}."""
        return {skill: box.description for skill, box in self._boxes.items()}

    def _on_tick(self, _change) -> None:
        if not self._setting_boxes and self._query.value.strip():
            self.search(self._query.value, self.ticked())

    def search(self, query: str, skill: str | list[str] | None = None) -> Answer:
        skills = [skill] if isinstance(skill, str) else list(skill or [])
        self._query.value = query
        self._setting_boxes = True
        for name, box in self._boxes.items():
            box.value = name in skills
        self._setting_boxes = False
        params = [("q", query), ("k", self.k), *(("skill", name) for name in skills)]
        response = self.client.get("/search", params=params)
        self.last = Answer(response.status_code, response.json())
        if response.status_code == 200:
            self._show(self.last.body)
        else:
            self._status.value = (
                f"<span style='color:#b00'>{escape(self.last.body['detail'])}</span>"
            )
            self._results.value = ""
        return self.last

    def _show(self, body: dict) -> None:
        counts = body["facets"]["skill"]
        for name, box in self._boxes.items():
            box.description = f"{name} ({counts.get(name, 0)})"
        files = "".join(
            f"<li>{escape(path.rsplit('/', 1)[-1])} ({count})</li>"
            for path, count in body["facets"]["path"].items()
        )
        self._files.value = f"<b>Reference file</b><ul>{files}</ul>"
        self._status.value = f"{body['total']} matching sections, showing {len(body['results'])}"
        items = "".join(
            f"<li><b>{escape(hit['heading'])}</b> <small>{escape(hit['id'])} "
            f"(distance {hit['distance']:.3f})</small><br>{escape(hit['snippet'])}</li>"
            for hit in body["results"]
        )
        self._results.value = f"<ol>{items}</ol>"
