"""Exact nearest-neighbour search over the course embedder's vectors, with numpy.

60 articles (or 100,000) are one matrix product away: below about 100k vectors an
approximate index buys little and costs recall. Rows are unit length, so the dot product
is the cosine similarity.
"""

from __future__ import annotations

import numpy as np

from .embeddings import Embedder, default_embedder


class DenseIndex:
    def __init__(self, texts: list[str], embedder: Embedder | None = None) -> None:
        self.embedder = embedder or default_embedder()
        self.vectors = self.embedder.embed(texts)

    def rank(self, query: str, depth: int) -> list[tuple[int, float]]:
        """(document index, cosine) of the DEPTH nearest documents, best first."""
        scores = self.vectors @ self.embedder.embed([query])[0]
        order = np.argsort(-scores, kind="stable")[:depth]
        return [(int(i), float(scores[i])) for i in order]
