"""BM25 over the articles with bm25s, tokenized so identifiers survive.

bm25s's default tokenizer splits on every non-word character, so ``NB-SAT-2-OUT`` becomes
``nb``, ``sat``, ``out`` (and ``2`` is dropped as a one-character token): the product code
no longer exists as a term, and ``NB-SAT-2`` matches the outdoor unit just as well. Here a
hyphenated code is kept whole *and* split, so the whole code is a rare, decisive term
while its parts still match a partial query.
"""

from __future__ import annotations

import re

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_EN

TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
STOPWORDS = frozenset(STOPWORDS_EN)


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    for match in TOKEN.findall(text.lower()):
        parts = match.split("-")
        if len(parts) > 1:
            tokens.append(match)
        tokens.extend(part for part in parts if part not in STOPWORDS)
    return tokens


class Bm25Index:
    """BM25 (Lucene's variant, k1=1.5, b=0.75) over TEXTS; ranks only documents that match."""

    def __init__(self, texts: list[str]) -> None:
        self.size = len(texts)
        self.model = bm25s.BM25()
        self.model.index([tokenize(text) for text in texts], show_progress=False)

    def rank(self, query: str) -> list[tuple[int, float]]:
        """(document index, score) of every document sharing a term with QUERY, best first.

        A document with score 0 shares no term: it is left out, not ranked last, so
        fusion does not reward it for a rank it never earned.
        """
        known = [token for token in tokenize(query) if token in self.model.vocab_dict]
        if not known:
            return []
        scores = self.model.get_scores(known)
        matching = np.flatnonzero(scores > 0)
        # Ties (equal scores) keep corpus order: a stable sort on the negated score.
        order = matching[np.argsort(-scores[matching], kind="stable")]
        return [(int(i), float(scores[i])) for i in order]
