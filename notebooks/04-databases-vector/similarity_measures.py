"""Similarity measures and exact top-k search over a matrix of vectors (notebook 04-02).

Each function takes VECTORS (n, d) and one QUERY (d,) and scores every row; ``top_k``
turns scores into the indices of the best K, which is what every vector engine returns.
"""

from __future__ import annotations

import numpy as np


# region measures
def dot_scores(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Inner product: larger is closer. Grows with the length of either vector."""
    return vectors @ query


def cosine_scores(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """The cosine of the angle: the dot product of the two directions, length ignored."""
    norms = np.linalg.norm(vectors, axis=1) * np.linalg.norm(query)
    return (vectors @ query) / np.where(norms == 0, 1, norms)


def l2_distances(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Euclidean distance: smaller is closer."""
    return np.linalg.norm(vectors - query, axis=1)


# endregion


# region top-k
def top_k(scores: np.ndarray, k: int, *, smaller_is_closer: bool = False) -> np.ndarray:
    """The indices of the K best scores, best first (ties broken by index, so runs agree)."""
    order = np.argsort(scores if smaller_is_closer else -scores, kind="stable")
    return order[:k]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Every row scaled to length 1: after this, dot, cosine and L2 rank alike."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


# endregion


def rankings(vectors: np.ndarray, query: np.ndarray, k: int) -> dict[str, tuple[int, ...]]:
    """The top K of VECTORS for QUERY under each measure."""
    return {
        "dot": tuple(top_k(dot_scores(vectors, query), k)),
        "cosine": tuple(top_k(cosine_scores(vectors, query), k)),
        "L2": tuple(top_k(l2_distances(vectors, query), k, smaller_is_closer=True)),
    }
