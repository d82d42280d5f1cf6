"""A "similar questions" box: the query goes through the served /v1/embeddings (notebook 06-02).

What a page's search box does: it sends the text the user typed to the model server's
OpenAI-style embeddings endpoint, gets one vector back, and ranks lines whose vectors were
computed ahead of time (here in-process, once, by the same model). ``search(query)`` is what
the button runs, so a headless run exercises the same path as a click. Many users typing at
once are many concurrent one-text requests: the server's dynamic batcher is what turns them
into few model calls.
"""

from __future__ import annotations

import base64
from html import escape

import httpx
import ipywidgets as widgets
import numpy as np


# region embed-over-http
def embed_over_http(
    client: httpx.Client, model: str, texts: list[str], *, encoding_format: str = "float"
) -> np.ndarray:
    """POST /v1/embeddings and return its vectors as a (len(texts), dims) float32 matrix.

    With ``encoding_format="base64"`` (what the official openai client asks for by default)
    each vector arrives as the base64 of its little-endian float32 bytes: a third of the
    JSON of a list of decimal numbers, and no rounding.
    """
    response = client.post(
        "/v1/embeddings",
        json={"model": model, "input": texts, "encoding_format": encoding_format},
    )
    response.raise_for_status()
    data = sorted(response.json()["data"], key=lambda item: item["index"])
    if encoding_format == "base64":
        rows = [np.frombuffer(base64.b64decode(item["embedding"]), "<f4") for item in data]
    else:
        rows = [np.asarray(item["embedding"], dtype=np.float32) for item in data]
    return np.vstack(rows)


# endregion


class SimilarQuestions:
    """Type a question, see the course lines nearest to it by cosine similarity."""

    def __init__(
        self,
        client: httpx.Client,
        model: str,
        lines: list[str],
        line_vectors: np.ndarray,
        *,
        results: int = 5,
    ) -> None:
        if len(lines) != len(line_vectors):
            raise ValueError(f"{len(lines)} lines but {len(line_vectors)} vectors")
        self.client, self.model, self.lines = client, model, lines
        self.line_vectors = line_vectors
        self.results = results
        self.hits: list[tuple[float, str]] = []
        self._query = widgets.Text(
            placeholder="Ask the course a question", layout=widgets.Layout(width="60%")
        )
        self._button = widgets.Button(description="Search", icon="search")
        self._list = widgets.HTML()
        self._button.on_click(lambda _button: self.search(self._query.value))
        self._query.continuous_update = False
        self.view = widgets.VBox([widgets.HBox([self._query, self._button]), self._list])

    # region search
    def search(self, query: str) -> list[tuple[float, str]]:
        """Embed QUERY through the server; return (similarity, line) best first, and show it."""
        self._query.value = query
        if not query.strip():
            self.hits = []
            self._list.value = "<p>Type a question first.</p>"
            return self.hits
        vector = embed_over_http(self.client, self.model, [query])[0]
        scores = self.line_vectors @ vector  # unit rows: the dot product is the cosine
        best = np.argsort(-scores, kind="stable")[: self.results]
        self.hits = [(float(scores[i]), self.lines[i]) for i in best]
        items = "".join(
            f"<li><code>{score:.3f}</code> {escape(line[:160])}</li>" for score, line in self.hits
        )
        self._list.value = f"<ol>{items}</ol>"
        return self.hits

    # endregion
