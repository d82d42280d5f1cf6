"""A semantic-boundary chunker: cut where the topic changes (notebook 05-02).

The idea of Greg Kamradt's "semantic chunking" (LangChain's experimental
``SemanticChunker``, LlamaIndex's ``SemanticSplitterNodeParser``), small enough to read:

1. cut the document into sentences (and lines, since Markdown's lists, tables and code
   are line by line);
2. embed each sentence together with its neighbours (a window of three smooths out
   one-word lines), and take the cosine similarity of each adjacent pair of windows;
3. a boundary is where that similarity falls into the lowest PERCENTILE of the document's
   pairs: the next sentence is about something else;
4. pack sentences into a chunk until a boundary, or until the next sentence would make it
   longer than ``size``; a sentence longer than ``size`` alone is cut by the recursive
   splitter.

It embeds every sentence once before a single chunk is embedded: the cost the other
chunkers do not have.
"""

from __future__ import annotations

import re

import numpy as np

from backend_skills.chunking import Chunk, recursive_chunks

# A sentence ends at . ! or ? followed by white space; every line break ends one too.
SENTENCE_END = re.compile(r"(?<=[.!?])[ \t]+|\n+")


# region sentences
def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank sentence or line of TEXT."""
    spans, start = [], 0
    for match in SENTENCE_END.finditer(text):
        if text[start : match.start()].strip():
            spans.append((start, match.start()))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def adjacent_similarity(texts: list[str], embed, window: int = 1) -> np.ndarray:
    """Cosine similarity of sentence i's window and sentence i+1's (len(texts) - 1 values)."""
    windows = [" ".join(texts[max(0, i - window) : i + window + 1]) for i in range(len(texts))]
    vectors = embed(windows)  # unit rows, so the dot product is the cosine
    return np.einsum("ij,ij->i", vectors[:-1], vectors[1:])


# endregion


# region pack
class SemanticChunker:
    """Chunks cut at topic shifts (the lowest PERCENTILE of similarities) and at ``size``.

    Called like the other chunkers, ``chunker(text, size, overlap)``; ``overlap`` is
    ignored, since a chunk ends where its topic does. The sentences' similarities do not
    depend on the size, so they are computed once per text and kept.
    """

    def __init__(self, embed, percentile: float = 20) -> None:
        self.embed, self.percentile = embed, percentile
        self._seen: dict[str, tuple[list[tuple[int, int]], np.ndarray]] = {}

    def boundaries(self, text: str) -> tuple[list[tuple[int, int]], np.ndarray]:
        """The sentence spans of TEXT, and whether a topic shift follows each one."""
        if text not in self._seen:
            spans = sentence_spans(text)
            shift = np.zeros(max(len(spans) - 1, 0), dtype=bool)
            if len(spans) > 2:
                similarity = adjacent_similarity([text[a:b] for a, b in spans], self.embed)
                shift = similarity < np.percentile(similarity, self.percentile)
            self._seen[text] = (spans, shift)
        return self._seen[text]

    def __call__(self, text: str, size: int, overlap: int = 0) -> list[Chunk]:
        spans, shift = self.boundaries(text)
        chunks, first = [], 0  # the index of the current chunk's first sentence
        for i in range(1, len(spans) + 1):
            if (
                i < len(spans)
                and not shift[i - 1]  # no topic shift before sentence i
                and spans[i][1] - spans[first][0] <= size  # and sentence i still fits
            ):
                continue
            start, end = spans[first][0], spans[i - 1][1]
            if end - start <= size:
                chunks.append(Chunk(text[start:end], start, end))
            else:  # a single sentence longer than SIZE: cut it recursively
                chunks.extend(recursive_chunks(text[start:end], size, offset=start))
            first = i
        return chunks


# endregion
