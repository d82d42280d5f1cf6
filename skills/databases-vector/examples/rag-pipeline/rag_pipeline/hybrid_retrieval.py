"""Hybrid retrieval: SQLite FTS5 BM25 and dense vectors, fused with reciprocal rank fusion.

The course's one retrieval pipeline, used by ``backend-skills ask`` and the RAG examples:

- **Lexical**: an in-memory SQLite FTS5 table (``porter unicode61``: Porter stemming over
  Unicode words) ranked with FTS5's BM25. Every word of a query is quoted as an FTS5 string
  and the words are OR-ed, so a query can never be FTS5 syntax, and question words that
  match everywhere (``STOPWORDS``) are dropped.
- **Dense**: every document embedded once into a numpy matrix of unit rows; a query is
  ranked by cosine similarity, a matrix-vector product.
- **Hybrid**: ``reciprocal_rank_fusion`` of the two rankings (Cormack et al., 2009): each
  list gives an id ``1 / (k + rank)``, so the fusion needs ranks only, never scores on
  comparable scales (BM25's are unbounded, cosine's are in [-1, 1]).

``save`` and ``load`` keep the embeddings (the only expensive part) in one ``.npz`` file
whose manifest names the content hash of the documents and the embedder, and ``cached``
builds or reopens the index of a folder by that key, so a changed library or model
rebuilds and an unchanged one does not embed again. The FTS5 table is rebuilt in memory on
load: it takes milliseconds.

The embedder is duck-typed: ``name``, ``dimensions`` and ``embed(list[str]) -> ndarray``
(unit rows), as ``backend_skills.embeddings`` defines them. This file imports only the
standard library and numpy: the RAG examples carry a byte-identical copy of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

METHODS = ("hybrid", "bm25", "dense")
# Bumped when the saved layout changes, so an old cache file is rebuilt, not misread.
FORMAT_VERSION = 1
CACHE_PREFIX = "hybrid-index-"
# How much of a text is embedded after its title; HybridIndex says why.
DENSE_CHARS = 500
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+.-]*")
# Question words that match everywhere and rank nothing.
STOPWORDS = frozenset(
    "a an and are as at be by can do does for from how i if in is it my of on or should "
    "the this to use what when where which who why with you your".split()
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class Embedder(Protocol):
    name: str
    dimensions: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    title: str = ""
    metadata: Mapping[str, str | int | float] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    id: str
    score: float
    rank: int


def search_words(query: str) -> list[str]:
    """The words of QUERY that search: not stopwords, not single characters."""
    if not isinstance(query, str):
        raise ValueError(f"a query is a string, not {type(query).__name__}")
    words = [w.strip(".-") for w in WORD.findall(query)]
    words = [w for w in words if len(w) > 1 and w.lower() not in STOPWORDS]
    if not words:
        raise ValueError(f"no searchable words in {query!r}")
    return words


def to_match_query(query: str) -> str:
    """Each word quoted as an FTS5 string, OR-ed: a query can never be FTS5 syntax."""
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in search_words(query))


def reciprocal_rank_fusion(rankings: Iterable[Sequence[str]], k: int = 60) -> list[Result]:
    """Fuse ranked id lists: each list gives an id 1 / (K + its rank there), summed.

    An id repeated within one list counts at its first rank. Ties go to the id with the
    better best rank, then to the one first seen in the earlier list, so the order is
    deterministic.
    """
    if k < 0:
        raise ValueError(f"the RRF constant k must be >= 0, not {k}")
    scores: dict[str, float] = {}
    best: dict[str, tuple[int, int]] = {}
    for list_index, ranking in enumerate(rankings):
        seen: set[str] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
            best[item] = min(best.get(item, (rank, list_index)), (rank, list_index))
    order = sorted(scores, key=lambda item: (-scores[item], best[item]))
    return [Result(item, scores[item], rank) for rank, item in enumerate(order, start=1)]


def documents_hash(
    documents: Sequence[Document], embedder_name: str, dense_chars: int | None
) -> str:
    """The identity of an index's vectors: SHA-256 over every document, the embedder's
    name and how much of each text it embedded."""
    digest = hashlib.sha256(f"{FORMAT_VERSION}\n{embedder_name}\n{dense_chars}\n".encode())
    for document in documents:
        row = [document.id, document.title, document.text, dict(document.metadata)]
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def first_sentences(text: str, *, at_least: int = 120, at_most: int = 240) -> str:
    """The opening sentences of TEXT, whitespace collapsed, until AT_LEAST characters,
    and never into a code block that follows them; at most AT_MOST characters."""
    prose = text.split("```", 1)[0].strip() or text
    shown = ""
    for sentence in SENTENCE_END.split(" ".join(prose.split())):
        shown = f"{shown} {sentence}".strip()
        if len(shown) >= at_least:
            break
    return shown if len(shown) <= at_most else shown[:at_most].rstrip() + " …"


class HybridIndex:
    """DOCUMENTS searchable by BM25, by dense similarity, and by both fused.

    BM25_WEIGHTS weigh a match in the title and in the text (FTS5's per-column weights).
    DENSE_CHARS is how much of a text is embedded, after its title (None: all of it).
    RRF_K is the fusion constant; DEPTH is how many results of each ranking the fusion
    sees. VECTORS, when given, are the documents' embeddings (``load`` passes them), so
    nothing is embedded again.

    Why embed only the opening 500 characters: a mean-pooled static embedding (the
    course's wordllama) averages every token, so a section's code and tables drown its
    opening sentences, which say what it is about; and a batch pads every text to the
    longest, so whole sections cost ten times the time. On the course's labelled queries
    the opening ranked better than the whole text (hit@5 0.65 against 0.54).
    """

    def __init__(
        self,
        documents: Iterable[Document],
        embedder: Embedder,
        *,
        bm25_weights: tuple[float, float] = (2.0, 1.0),
        dense_chars: int | None = DENSE_CHARS,
        rrf_k: int = 60,
        depth: int = 20,
        vectors: np.ndarray | None = None,
    ) -> None:
        self.documents = list(documents)
        self.embedder = embedder
        self.bm25_weights = tuple(float(w) for w in bm25_weights)
        self.dense_chars, self.rrf_k, self.depth = dense_chars, rrf_k, depth
        if not self.documents:
            raise ValueError("an index needs at least one document")
        if len(self.bm25_weights) != 2:
            raise ValueError("bm25_weights is (title weight, text weight)")
        if depth < 1:
            raise ValueError(f"depth must be >= 1, not {depth}")
        if dense_chars is not None and dense_chars < 1:
            raise ValueError(f"dense_chars must be >= 1 or None, not {dense_chars}")
        ids = [d.id for d in self.documents]
        if len(set(ids)) != len(ids):
            twice = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"document ids must be unique; repeated: {', '.join(twice[:3])}")
        self.key = documents_hash(self.documents, embedder.name, dense_chars)
        if vectors is None:
            vectors = embedder.embed([embedding_text(d, dense_chars) for d in self.documents])
        self.vectors = np.asarray(vectors, dtype=np.float32)
        if self.vectors.shape != (len(self.documents), embedder.dimensions):
            raise ValueError(
                f"vectors of shape {self.vectors.shape}, expected "
                f"{(len(self.documents), embedder.dimensions)} for {embedder.name}"
            )
        self.position = {d.id: i for i, d in enumerate(self.documents)}
        self.connection = sqlite3.connect(":memory:", check_same_thread=False)
        self.connection.execute(
            "CREATE VIRTUAL TABLE docs USING fts5("
            "title, body, metadata UNINDEXED, tokenize='porter unicode61')"
        )
        # rowid = position + 1, so a BM25 row maps back to its document without a lookup.
        self.connection.executemany(
            "INSERT INTO docs (rowid, title, body, metadata) VALUES (?, ?, ?, ?)",
            [
                (i + 1, d.title, d.text, json.dumps(dict(d.metadata)))
                for i, d in enumerate(self.documents)
            ],
        )

    def search(
        self,
        query: str,
        k: int = 5,
        method: str = "hybrid",
        where: Mapping[str, str | int | float] | None = None,
    ) -> list[Result]:
        """The K best documents for QUERY by METHOD, among those whose metadata has WHERE.

        A query none of whose words occurs in any document matches nothing, whatever the
        method: nearest neighbours always exist, and for words the library never uses they
        are noise, not an answer.
        """
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer, not {k!r}")
        where = dict(where or {})
        for name, value in where.items():
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise ValueError(f"where[{name!r}] must be a string or a number")
        match = to_match_query(query)
        if not self.connection.execute(
            "SELECT 1 FROM docs WHERE docs MATCH ? LIMIT 1", [match]
        ).fetchone():
            return []
        if method == "bm25":
            return self._bm25(match, k, where)
        if method == "dense":
            return self._dense(query, k, where)
        lexical = [r.id for r in self._bm25(match, self.depth, where)]
        dense = [r.id for r in self._dense(query, self.depth, where)]
        return reciprocal_rank_fusion([lexical, dense], k=self.rrf_k)[:k]

    def _bm25(self, match: str, k: int, where: dict) -> list[Result]:
        filters = "".join(" AND json_extract(metadata, ?) = ?" for _ in where)
        arguments: list = [match]
        for name, value in where.items():
            arguments += [f"$.{json.dumps(name)}", value]
        rows = self.connection.execute(
            "SELECT rowid, bm25(docs, ?, ?) AS score FROM docs WHERE docs MATCH ?"
            f"{filters} ORDER BY score, rowid LIMIT ?",
            [*self.bm25_weights, *arguments, k],
        ).fetchall()
        # FTS5's bm25 is lower-is-better; its negation is the usual higher-is-better score.
        return [
            Result(self.documents[rowid - 1].id, -score, rank)
            for rank, (rowid, score) in enumerate(rows, start=1)
        ]

    def _dense(self, query: str, k: int, where: dict) -> list[Result]:
        similarity = self.vectors @ self.embedder.embed([query])[0]
        if where:
            allowed = np.array(
                [all(d.metadata.get(n) == v for n, v in where.items()) for d in self.documents]
            )
            similarity = np.where(allowed, similarity, -np.inf)
        # A stable sort keeps document order among equal similarities: deterministic ranks.
        order = np.argsort(-similarity, kind="stable")[:k]
        order = [i for i in order if np.isfinite(similarity[i])]
        return [
            Result(self.documents[i].id, float(similarity[i]), rank)
            for rank, i in enumerate(order, start=1)
        ]

    def snippet(self, query: str, doc_id: str, *, tokens: int = 16) -> str:
        """A short extract of DOC_ID for QUERY: FTS5's highlighted snippet where a query
        word is in its text, else its first sentences (a hit by meaning alone)."""
        row = self.connection.execute(
            "SELECT snippet(docs, 1, '[', ']', ' … ', ?) FROM docs "
            "WHERE docs MATCH ? AND rowid = ?",
            [tokens, "body : (" + to_match_query(query) + ")", self.position[doc_id] + 1],
        ).fetchone()
        if row:
            return " ".join(row[0].split())
        return first_sentences(self.documents[self.position[doc_id]].text)

    def save(self, path: Path | str) -> Path:
        """Write the documents, their vectors and the key to PATH (.npz), atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        manifest = {
            "format": FORMAT_VERSION,
            "key": self.key,
            "embedder": self.embedder.name,
            "dimensions": self.embedder.dimensions,
            "dense_chars": self.dense_chars,
            "bm25_weights": list(self.bm25_weights),
        }
        rows = [[d.id, d.title, d.text, dict(d.metadata)] for d in self.documents]
        # A temporary file renamed over PATH: a reader never sees half a file, and two
        # processes building the same index at once both leave a whole one.
        handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".npz", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(
                    file,
                    vectors=self.vectors,
                    manifest=np.array(json.dumps(manifest)),
                    documents=np.array(json.dumps(rows, ensure_ascii=False)),
                )
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: Path | str, embedder: Embedder, **options) -> HybridIndex:
        """The index saved at PATH, searched with EMBEDDER, which must be the one that
        built it (same name and dimensions); nothing is embedded."""
        with np.load(Path(path), allow_pickle=False) as saved:
            manifest = json.loads(str(saved["manifest"]))
            rows = json.loads(str(saved["documents"]))
            vectors = saved["vectors"]
        if manifest.get("format") != FORMAT_VERSION:
            raise ValueError(f"{path}: index format {manifest.get('format')}, not {FORMAT_VERSION}")
        if (manifest["embedder"], manifest["dimensions"]) != (embedder.name, embedder.dimensions):
            raise ValueError(
                f"{path}: built with {manifest['embedder']} ({manifest['dimensions']}-d), "
                f"not {embedder.name} ({embedder.dimensions}-d)"
            )
        options.setdefault("bm25_weights", tuple(manifest["bm25_weights"]))
        options["dense_chars"] = manifest["dense_chars"]
        documents = [Document(i, text, title, metadata) for i, title, text, metadata in rows]
        return cls(documents, embedder, vectors=vectors, **options)

    @classmethod
    def cached(
        cls, documents: Iterable[Document], embedder: Embedder, folder: Path | str, **options
    ) -> HybridIndex:
        """The index of DOCUMENTS with EMBEDDER, reopened from FOLDER when a file there has
        their key, else built, saved there, and the folder's older indexes removed."""
        documents = list(documents)
        folder = Path(folder)
        key = documents_hash(documents, embedder.name, options.get("dense_chars", DENSE_CHARS))
        path = folder / f"{CACHE_PREFIX}{key[:32]}.npz"
        if path.is_file():
            index = cls.load(path, embedder, **options)
            if index.key == key:
                return index
        index = cls(documents, embedder, **options)
        index.save(path)
        for stale in folder.glob(f"{CACHE_PREFIX}*.npz"):
            if stale != path:
                stale.unlink(missing_ok=True)
        return index


def embedding_text(document: Document, chars: int | None) -> str:
    """What is embedded for DOCUMENT: its title, then the first CHARS of its text."""
    text = document.text if chars is None else document.text[:chars]
    return f"{document.title}\n{text}" if document.title else text
