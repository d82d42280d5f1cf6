"""A chunk inspector: which chunks a query retrieves, and where they were cut (notebook 05-02).

Pick a strategy and a size, type a question: the three nearest chunks appear with their
section id, their similarity, and the text around them, the chunk highlighted and its two
cuts marked (red when the cut falls inside a word). ``show(query, strategy, size)`` is
what the button runs, so a headless run calls the same logic and can assert on its hits.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import ipywidgets as widgets

CONTEXT = 60  # characters of the source shown on each side of a chunk


@dataclass(frozen=True)
class Hit:
    rank: int
    section_id: str  # the section the chunk overlaps most
    path: str
    similarity: float
    start: int
    end: int
    text: str
    cut_mid_word: bool  # either cut falls between two letters or digits


def inside_word(text: str, offset: int) -> bool:
    """Whether a cut at OFFSET falls between two letters or digits of TEXT."""
    return 0 < offset < len(text) and text[offset - 1].isalnum() and text[offset].isalnum()


class ChunkInspector:
    """Show the top chunks of INDEXES[(strategy, size)] for a query."""

    def __init__(self, indexes: dict, documents: dict, embedder, *, top: int = 3) -> None:
        self.indexes, self.documents, self.embedder, self.top = indexes, documents, embedder, top
        self.hits: list[Hit] = []
        strategies = list(dict.fromkeys(strategy for strategy, _ in indexes))
        sizes = sorted({size for _, size in indexes})
        self._strategy = widgets.Dropdown(options=strategies, description="Strategy")
        self._size = widgets.SelectionSlider(options=sizes, description="Size (chars)")
        self._query = widgets.Text(placeholder="Ask the library", description="Query")
        self._button = widgets.Button(description="Inspect", icon="search")
        self._out = widgets.HTML()
        self._button.on_click(
            lambda _b: self.show(self._query.value, self._strategy.value, self._size.value)
        )
        controls = widgets.HBox([self._strategy, self._size])
        self.view = widgets.VBox([controls, widgets.HBox([self._query, self._button]), self._out])

    # region show
    def show(self, query: str, strategy: str | None = None, size: int | None = None) -> list[Hit]:
        """Retrieve the top chunks for QUERY and render them; returns them too."""
        strategy = strategy or self._strategy.value
        size = size or self._size.value
        self._query.value, self._strategy.value, self._size.value = query, strategy, size
        index = self.indexes[(strategy, size)]
        vector = self.embedder.embed([query])[0]
        self.hits = []
        for rank, position in enumerate(index.top_chunks(vector, self.top), start=1):
            chunk, source = index.chunks[position], self.documents[index.paths[position]]
            cut = inside_word(source, chunk.start) or inside_word(source, chunk.end)
            similarity = float(index.vectors[position] @ vector)
            self.hits.append(
                Hit(
                    rank,
                    index.sections[position][0],
                    index.paths[position],
                    similarity,
                    chunk.start,
                    chunk.end,
                    chunk.text,
                    cut,
                )
            )
        self._out.value = "".join(self._render(hit, self.documents[hit.path]) for hit in self.hits)
        return self.hits

    # endregion

    @staticmethod
    def _render(hit: Hit, source: str) -> str:
        def mark(offset: int) -> str:
            colour = "#d62828" if inside_word(source, offset) else "#2a9d8f"
            return f'<b style="color:{colour}">|</b>'

        before = escape(source[max(0, hit.start - CONTEXT) : hit.start])
        after = escape(source[hit.end : hit.end + CONTEXT])
        body = escape(hit.text)
        return (
            f"<div style='margin:6px 0'><b>{hit.rank}.</b> <code>{escape(hit.section_id)}</code>"
            f" <small>similarity {hit.similarity:.3f}, characters {hit.start}-{hit.end}</small>"
            f"<pre style='white-space:pre-wrap'><span style='color:#999'>{before}</span>"
            f"{mark(hit.start)}<mark>{body}</mark>{mark(hit.end)}"
            f"<span style='color:#999'>{after}</span></pre></div>"
        )
