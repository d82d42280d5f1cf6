"""One searcher, three methods: BM25 alone, dense alone, and both fused with RRF."""

from __future__ import annotations

from dataclasses import dataclass

from .corpus import Article
from .dense import DenseIndex
from .embeddings import Embedder
from .fusion import RRF_K, reciprocal_rank_fusion
from .lexical import Bm25Index

METHODS = ("hybrid", "bm25", "dense")
# How deep each list goes into the fusion. Deeper lists add documents that one method
# ranks poorly, each with a small 1/(60 + rank) that can still tip a close call.
CANDIDATES = 20


@dataclass(frozen=True)
class Result:
    article: Article
    score: float  # BM25 score, cosine, or fused RRF score, by method
    # 1-based ranks in the lists that were computed (both for hybrid); None where the
    # document did not match (BM25), fell beyond the candidates, or the method did not run.
    bm25_rank: int | None
    dense_rank: int | None


class HybridSearcher:
    def __init__(
        self,
        articles: list[Article],
        *,
        embedder: Embedder | None = None,
        candidates: int = CANDIDATES,
        rrf_k: int = RRF_K,
    ) -> None:
        if not articles:
            raise ValueError("nothing to search: the corpus is empty")
        self.articles = articles
        texts = [a.searchable for a in articles]
        self.bm25 = Bm25Index(texts)
        self.dense = DenseIndex(texts, embedder)
        self.candidates = candidates
        self.rrf_k = rrf_k

    def search(self, query: str, method: str = "hybrid", k: int = 5) -> list[Result]:
        if not query.strip():
            raise ValueError("the query is empty")
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        depth = max(k, self.candidates)
        # Each method runs only when its list is needed: the latencies measured are its own.
        lexical = self.bm25.rank(query)[:depth] if method != "dense" else []
        dense = self.dense.rank(query, depth) if method != "bm25" else []
        bm25_ranks = {index: rank for rank, (index, _) in enumerate(lexical, start=1)}
        dense_ranks = {index: rank for rank, (index, _) in enumerate(dense, start=1)}
        if method == "bm25":
            ranked = lexical
        elif method == "dense":
            ranked = dense
        else:
            ranked = reciprocal_rank_fusion(
                [[i for i, _ in lexical], [i for i, _ in dense]], k=self.rrf_k
            )
        return [
            Result(self.articles[index], score, bm25_ranks.get(index), dense_ranks.get(index))
            for index, score in ranked[:k]
        ]
