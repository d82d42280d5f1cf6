"""A search box over a Chroma collection with a skill filter (notebook 04-03).

``search(query, skill)`` is what the button runs, so a headless run calls the same logic:
the filter becomes Chroma's ``where``, and the results show each section's distance.
"""

from __future__ import annotations

from html import escape

import chromadb
import ipywidgets as widgets

ANY_SKILL = "any skill"


class ChromaSearchBox:
    """Query COLLECTION by text; optionally only the sections of one skill."""

    def __init__(self, collection: chromadb.Collection, skills: list[str], *, k: int = 5):
        self.collection = collection
        self.k = k
        self.results: list[tuple[str, float]] = []
        self._query = widgets.Text(placeholder="Ask the library", description="Query")
        self._skill = widgets.Dropdown(options=[ANY_SKILL, *skills], description="Skill")
        self._button = widgets.Button(description="Search", icon="search")
        self._list = widgets.HTML()
        self._button.on_click(lambda _button: self.search(self._query.value, self._skill.value))
        self.view = widgets.VBox(
            [widgets.HBox([self._query, self._skill, self._button]), self._list]
        )

    def search(self, query: str, skill: str = ANY_SKILL) -> list[tuple[str, float]]:
        self._query.value, self._skill.value = query, skill
        where = None if skill == ANY_SKILL else {"skill": skill}
        found = self.collection.query(
            query_texts=[query], n_results=self.k, where=where, include=["distances"]
        )
        self.results = list(zip(found["ids"][0], found["distances"][0], strict=True))
        items = "".join(
            f"<li>{escape(section_id)} <small>(distance {distance:.3f})</small></li>"
            for section_id, distance in self.results
        )
        self._list.value = f"<ol>{items}</ol>"
        return self.results
