"""Chunk the library, embed the chunks, and rank its sections by them (notebook 05-02).

The labelled queries name *sections* (``skills/x/references/y.md#anchor``), while a
chunker cuts whole *files* wherever it likes. So the library is rebuilt into one Markdown
text per file, remembering where each section sits in it, and each chunk is mapped back to
the sections its characters overlap. A query then ranks chunks by cosine similarity, and
the sections of its best chunks, in order and without repeats, are the ranked list that
recall@K and MRR score. Every strategy is scored on the same queries and the same labels.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from backend_skills.chunking import Chunk, llama_tokenizer

DEPTH = 50  # sections ranked per query: MRR counts a first hit down to this rank


# region documents
@dataclass(frozen=True)
class Document:
    """One file of the library as a single text, and where each of its sections sits."""

    path: str
    text: str
    section_ids: tuple[str, ...]
    starts: tuple[int, ...]  # section i is text[starts[i]:ends[i]]
    ends: tuple[int, ...]

    def sections_of(self, chunk: Chunk) -> list[str]:
        """The ids of the sections CHUNK overlaps, the one it overlaps most first."""
        first = bisect.bisect_right(self.ends, chunk.start)  # the first section ending after it
        overlaps = []
        for i in range(first, len(self.starts)):
            if self.starts[i] >= chunk.end:
                break
            shared = min(chunk.end, self.ends[i]) - max(chunk.start, self.starts[i])
            if shared > 0:
                overlaps.append((-shared, i))
        return [self.section_ids[i] for _, i in sorted(overlaps)]


def rebuild_documents(sections: list[dict]) -> list[Document]:
    """The frozen sections joined back into one text per file, headings as ``##`` lines."""
    by_file: dict[str, list[dict]] = defaultdict(list)
    for section in sections:
        by_file[section["path"]].append(section)
    documents = []
    for path, parts in by_file.items():
        text, starts, ends = "", [], []
        for section in parts:
            text += "\n\n" if text else ""
            starts.append(len(text))
            text += f"## {section['heading']}\n\n{section['text']}"
            ends.append(len(text))
        ids = tuple(section["id"] for section in parts)
        documents.append(Document(path, text, ids, tuple(starts), tuple(ends)))
    return documents


# endregion


# region index
@dataclass
class ChunkIndex:
    """The chunks of every document, their sections and their unit vectors."""

    strategy: str
    size: int
    chunks: list[Chunk]
    paths: list[str]  # the file of each chunk
    sections: list[list[str]]  # the section ids of each chunk, most overlapped first
    vectors: np.ndarray = field(repr=False)
    embed_seconds: float = 0.0

    @property
    def index_bytes(self) -> int:
        """What the index stores: float32 vectors plus the chunks' UTF-8 text."""
        return self.vectors.nbytes + sum(len(c.text.encode("utf-8")) for c in self.chunks)

    def top_chunks(self, query_vector: np.ndarray, n: int) -> np.ndarray:
        """Positions of the N chunks nearest the query (exact search: one dot product)."""
        scores = self.vectors @ query_vector
        return np.argsort(-scores, kind="stable")[:n]

    def ranked_sections(self, query_vector: np.ndarray, depth: int = DEPTH) -> list[str]:
        """Sections of the nearest chunks, in order, each once, until DEPTH are ranked."""
        ranked: dict[str, None] = {}
        order = np.argsort(-(self.vectors @ query_vector), kind="stable")
        for position in order:
            for section_id in self.sections[position]:
                ranked.setdefault(section_id)
            if len(ranked) >= depth:
                break
        return list(ranked)[:depth]


def build_index(
    documents: list[Document], strategy: str, chunker: Callable, size: int, overlap: int, embedder
) -> ChunkIndex:
    """Chunk every document with CHUNKER, map chunks to sections, embed them (timed)."""
    chunks, paths, sections = [], [], []
    for document in documents:
        for chunk in chunker(document.text, size, overlap):
            chunks.append(chunk)
            paths.append(document.path)
            sections.append(document.sections_of(chunk))
    started = time.perf_counter()
    vectors = embedder.embed([chunk.text for chunk in chunks])
    seconds = time.perf_counter() - started
    return ChunkIndex(strategy, size, chunks, paths, sections, vectors, seconds)


def token_counts(texts: list[str]) -> np.ndarray:
    """Llama-2 tokens of each text (the tokenizer in the wordllama wheel), in one batch."""
    encodings = llama_tokenizer().encode_batch(texts, add_special_tokens=False)
    return np.array([len(encoding.ids) for encoding in encodings])


# endregion
