"""Retrieval: the store's chunks in the course's hybrid index (BM25 and dense, fused).

The fused score ranks, but it is made of ranks (reciprocal rank fusion), so it says
nothing about whether the best chunk is any good: the first of a thousand irrelevant
chunks scores like the first of a thousand relevant ones. Whether to answer at all is
decided on each retrieved chunk's ``relevance``: the mean of two numbers in [0, 1],

- the cosine similarity of the question and the chunk (meaning), and
- the share of the question's content words the chunk contains (coverage).

Either alone lets the wrong questions through. With static word embeddings "What is the
best card game for two players?" lies near the corporate-cards chunk (cosine 0.46, from
"card" alone) while "Who can approve while my manager is on holiday?" lies far from the
one about delegates (0.23). Coverage alone refuses every paraphrase. The mean separates
the handbook's labelled questions from the off-topic ones far better than either
(README, "Refusing").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .chunking import Chunk
from .embeddings import Embedder
from .hybrid_retrieval import STOPWORDS, WORD, HybridIndex, search_words
from .ingestion import StoredChunk


@dataclass(frozen=True)
class Passage:
    n: int  # its number in the prompt, and in the answer's citations: 1, 2, 3 ...
    chunk: Chunk
    score: float  # the fused (RRF) score that ranked it
    similarity: float  # cosine similarity of the question and the chunk, in [-1, 1]
    coverage: float  # the share of the question's content words in the chunk, in [0, 1]

    @property
    def relevance(self) -> float:
        return (max(self.similarity, 0.0) + self.coverage) / 2


def content_words(text: str) -> set[str]:
    """TEXT's words, lower case, without stopwords or a plural s: "Cards" is "card"."""
    return {w.lower().rstrip("s") for w in WORD.findall(text) if w.lower() not in STOPWORDS}


def coverage(question_words: set[str], text: str) -> float:
    return len(question_words & content_words(text)) / max(len(question_words), 1)


class Retriever:
    def __init__(self, stored: list[StoredChunk], embedder: Embedder) -> None:
        if not stored:
            raise ValueError("the store holds no chunks: ingest a corpus first")
        self.embedder = embedder
        self.chunks = {s.chunk.id: s.chunk for s in stored}
        self.index = HybridIndex(
            [s.chunk.document for s in stored],
            embedder,
            # The whole chunk is embedded (ingestion's vectors): chunking capped its size.
            dense_chars=None,
            vectors=np.stack([s.vector for s in stored]),
        )

    def retrieve(self, question: str, k: int, method: str = "hybrid") -> list[Passage]:
        """The K best chunks for QUESTION, numbered from 1; none when no word of the
        question occurs in the corpus (the index's rule: neighbours of words the corpus
        never uses are noise)."""
        try:
            search_words(question)
        except ValueError:  # only stopwords ("what is it?"): nothing to search for
            return []
        results = self.index.search(question, k=k, method=method)
        if not results:
            return []
        query = self.embedder.embed([question])[0]
        asked = content_words(question)
        passages = []
        for n, result in enumerate(results, start=1):
            chunk = self.chunks[result.id]
            vector = self.index.vectors[self.index.position[result.id]]
            passages.append(
                Passage(
                    n=n,
                    chunk=chunk,
                    score=result.score,
                    similarity=float(vector @ query),
                    coverage=coverage(asked, f"{chunk.heading} {chunk.text}"),
                )
            )
        return passages
