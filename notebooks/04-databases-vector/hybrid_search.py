"""Notebook 04-05's hybrid search, written out: BM25, dense, and reciprocal rank fusion.

Each ranker turns a query into a ranked list of section ids, the shape that
``retrieval_eval.evaluate`` scores, so the three methods are measured the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import bm25s
import numpy as np

# bm25s logs each index build at DEBUG level; a lesson's output is not the place for it.
logging.getLogger("bm25s").setLevel(logging.WARNING)


# region bm25
class Bm25Ranker:
    """Okapi BM25 over the sections' words (bm25s: sparse matrices, no server)."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        self.ids = list(ids)
        self.index = bm25s.BM25()  # k1=1.5, b=0.75: the usual defaults
        self.index.index(self.tokens(texts), show_progress=False)

    @staticmethod
    def tokens(texts: Sequence[str]) -> list[list[str]]:
        # Words of two or more letters, digits or underscores, lower-cased, English stopwords
        # out: `check_needs_rehash` and `9457` stay whole, as a learner types them.
        return bm25s.tokenize(list(texts), stopwords="en", return_ids=False, show_progress=False)

    def rank(self, query: str, depth: int) -> list[str]:
        words = self.tokens([query])
        if not words[0]:
            return []  # only stopwords: BM25 has nothing to match
        found, scores = self.index.retrieve(words, k=depth, show_progress=False)
        return [self.ids[i] for i, score in zip(found[0], scores[0], strict=True) if score > 0]


# endregion


# region dense
class DenseRanker:
    """Cosine similarity of unit vectors: a dot product against every section."""

    def __init__(self, ids: Sequence[str], vectors: np.ndarray, embedder) -> None:
        self.ids, self.vectors, self.embedder = list(ids), vectors, embedder

    def rank(self, query: str, depth: int) -> list[str]:
        scores = self.vectors @ self.embedder.embed([query])[0]
        order = np.argsort(-scores, kind="stable")[:depth]
        return [self.ids[i] for i in order]


# endregion


# region rrf
def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = 60
) -> list[tuple[str, float]]:
    """Fuse ranked lists: each id scores the sum of 1 / (k + rank) over the lists it is in.

    Only ranks count, never the rankers' own scores, so BM25's unbounded scores and
    cosine's [-1, 1] need no calibration. Equal scores go to the id with the better best
    rank, then to the earlier list: the same order on every run.
    """
    scores: dict[str, float] = {}
    best: dict[str, tuple[int, int]] = {}  # (best rank, the list it came from)
    for list_number, ranking in enumerate(rankings):
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + rank)
            best[doc_id] = min(best.get(doc_id, (rank, list_number)), (rank, list_number))
    order = sorted(scores, key=lambda doc_id: (-scores[doc_id], best[doc_id]))
    return [(doc_id, scores[doc_id]) for doc_id in order]


# endregion


# region hybrid
class HybridSearch:
    """BM25 and dense, each DEPTH deep, fused with RRF; or either one alone."""

    def __init__(self, bm25: Bm25Ranker, dense: DenseRanker, *, depth: int, rrf_k: int) -> None:
        self.bm25, self.dense, self.depth, self.rrf_k = bm25, dense, depth, rrf_k

    def rank(self, query: str, method: str = "hybrid") -> list[str]:
        if method == "bm25":
            return self.bm25.rank(query, self.depth)
        if method == "dense":
            return self.dense.rank(query, self.depth)
        if method != "hybrid":
            raise ValueError(f"unknown method {method!r}: expected hybrid, bm25 or dense")
        both = [self.bm25.rank(query, self.depth), self.dense.rank(query, self.depth)]
        return [doc_id for doc_id, _ in reciprocal_rank_fusion(both, self.rrf_k)]


# endregion
