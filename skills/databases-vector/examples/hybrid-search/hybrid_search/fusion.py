"""Reciprocal rank fusion (Cormack, Clarke and Buettcher, SIGIR 2009).

Each ranked list gives a document ``1 / (k + rank)``, ranks counted from 1; a document's
fused score is the sum over the lists it appears in. Only ranks are used, so BM25 scores
(unbounded) and cosines (at most 1) need no normalization, and ``k = 60`` (the paper's
value) keeps one list's first place from outweighing agreement between lists.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Hashable]], k: int = RRF_K
) -> list[tuple[Hashable, float]]:
    """(item, fused score) best first. Equal scores keep the order in which the items were
    first seen (list by list, rank by rank), so the result is deterministic."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    scores: dict[Hashable, float] = {}
    for ranking in rankings:
        if len(set(ranking)) != len(ranking):
            raise ValueError("a ranking lists an item twice")
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    # sorted() is stable and dicts keep insertion order: ties stay in first-seen order.
    return sorted(scores.items(), key=lambda pair: -pair[1])
