"""The course's retrieval benchmark: a frozen corpus, labelled queries, and the metrics.

- ``load_sections()``: ``data/retrieval/sections.jsonl``, the skills library split at its
  headings (what ``backend-skills ask`` searches), frozen on the day it was written, so a
  notebook's measured numbers do not move each time a reference is edited. Each section
  has an ``id`` (its path and GitHub anchor, ``skills/x/references/y.md#heading``), its
  ``skill``, ``path``, ``heading`` and ``text``.
- ``load_queries()``: ``data/retrieval/queries.yaml``, questions a learner asks with the
  ids of the sections that answer them (``relevant``), labelled by hand.
- ``recall_at_k``, ``reciprocal_rank``, ``ndcg_at_k``, ``hit_at_k`` for one ranked list, and
  ``evaluate`` for a whole run (mean over queries), the definitions of the IR literature
  with binary relevance.

``freeze_sections()`` rewrites the snapshot from the live library (`ask.sections()`); the
labels must then be checked again (tests/test_retrieval_eval.py holds them to the file).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import yaml

from backend_skills.paths import data_dir

SECTIONS_FILE = "retrieval/sections.jsonl"
QUERIES_FILE = "retrieval/queries.yaml"


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    relevant: frozenset[str]


@cache
def load_sections() -> tuple[dict, ...]:
    """The frozen library sections, in file order."""
    path = data_dir() / SECTIONS_FILE
    return tuple(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())


@cache
def load_queries() -> tuple[LabelledQuery, ...]:
    """The labelled queries; every relevant id is a section of ``load_sections()``."""
    raw = yaml.safe_load((data_dir() / QUERIES_FILE).read_text(encoding="utf-8"))
    return tuple(LabelledQuery(q["query"], frozenset(q["relevant"])) for q in raw["queries"])


def freeze_sections() -> int:
    """Rewrite the snapshot from the live skills library; return how many sections."""
    from backend_skills.ask import sections

    rows = [
        {"id": s.anchor, "skill": s.skill, "path": s.path, "heading": s.heading, "text": s.body}
        for s in sections()
    ]
    path = data_dir() / SECTIONS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return len(rows)


def recall_at_k(ranked: Sequence[str], relevant: frozenset[str], k: int) -> float:
    """The share of the relevant ids found in the first K results."""
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def hit_at_k(ranked: Sequence[str], relevant: frozenset[str], k: int) -> float:
    """1.0 if any relevant id is in the first K results, else 0.0."""
    return 1.0 if relevant.intersection(ranked[:k]) else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: frozenset[str]) -> float:
    """1 / the rank of the first relevant result (0.0 when none is ranked)."""
    for rank, item in enumerate(ranked, start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: frozenset[str], k: int = 10) -> float:
    """Normalized discounted cumulative gain at K with binary gains (1 per relevant hit)."""
    gain = sum(1 / math.log2(rank + 1) for rank, i in enumerate(ranked[:k], 1) if i in relevant)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return gain / ideal


def evaluate(
    search: Callable[[str], Sequence[str]],
    queries: Sequence[LabelledQuery] | None = None,
    *,
    k: int = 10,
) -> dict[str, float]:
    """Mean recall@K, hit@5, MRR and nDCG@10 of SEARCH (query -> ranked ids) over QUERIES."""
    queries = load_queries() if queries is None else queries
    if not queries:
        raise ValueError("no queries to evaluate")
    totals = {f"recall@{k}": 0.0, "hit@5": 0.0, "MRR": 0.0, "nDCG@10": 0.0}
    for labelled in queries:
        ranked = list(search(labelled.query))
        totals[f"recall@{k}"] += recall_at_k(ranked, labelled.relevant, k)
        totals["hit@5"] += hit_at_k(ranked, labelled.relevant, 5)
        totals["MRR"] += reciprocal_rank(ranked, labelled.relevant)
        totals["nDCG@10"] += ndcg_at_k(ranked, labelled.relevant, 10)
    return {name: total / len(queries) for name, total in totals.items()}
