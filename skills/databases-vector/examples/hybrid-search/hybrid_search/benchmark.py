"""The labelled mini-benchmark: 28 help-centre queries, each with the article that answers it.

Three kinds, labelled in ``benchmark_queries.jsonl``: ``identifier`` (an error or product
code, maybe with a word or two), ``paraphrase`` (the customer's own words, few or none of
the article's), and ``mixed`` (a code plus a description). The queries were written before
any method was run on them, and none was dropped afterwards.

``python -m hybrid_search.benchmark [--json]`` prints MRR, recall@5 and hit@1 by method
(overall and by kind) and the median latency of a query.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .corpus import load_articles
from .engine import METHODS, HybridSearcher

QUERIES_FILE = Path(__file__).with_name("benchmark_queries.jsonl")
DEPTH = 10  # results scored per query: a relevant article below 10 counts as not found


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    relevant: frozenset[str]
    kind: str


@dataclass(frozen=True)
class Scores:
    mrr: float
    recall_at_5: float
    hit_at_1: float
    queries: int


def load_benchmark(path: Path = QUERIES_FILE) -> list[LabelledQuery]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [LabelledQuery(r["query"], frozenset(r["relevant"]), r["kind"]) for r in rows]


def reciprocal_rank(ranked: list[str], relevant: frozenset[str]) -> float:
    """1 / the rank of the first relevant result, 0.0 when none is ranked."""
    return next((1.0 / rank for rank, id_ in enumerate(ranked, 1) if id_ in relevant), 0.0)


def recall_at(ranked: list[str], relevant: frozenset[str], k: int) -> float:
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def score(runs: list[tuple[list[str], frozenset[str]]]) -> Scores:
    return Scores(
        mrr=statistics.fmean(reciprocal_rank(r, rel) for r, rel in runs),
        recall_at_5=statistics.fmean(recall_at(r, rel, 5) for r, rel in runs),
        hit_at_1=statistics.fmean(recall_at(r, rel, 1) > 0 for r, rel in runs),
        queries=len(runs),
    )


def evaluate(searcher: HybridSearcher, queries: list[LabelledQuery]) -> dict:
    """{method: {"all": Scores, <kind>: Scores, "median_ms": float}}."""
    report: dict = {}
    for method in METHODS:
        runs, seconds = [], []
        for labelled in queries:
            started = time.perf_counter()
            results = searcher.search(labelled.query, method, DEPTH)
            seconds.append(time.perf_counter() - started)
            runs.append(([r.article.id for r in results], labelled.relevant, labelled.kind))
        kinds = sorted({kind for _, _, kind in runs})
        report[method] = {
            "all": score([(r, rel) for r, rel, _ in runs]),
            **{k: score([(r, rel) for r, rel, kind in runs if kind == k]) for k in kinds},
            "median_ms": statistics.median(seconds) * 1000,
        }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hybrid_search.benchmark", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = evaluate(HybridSearcher(load_articles()), load_benchmark())
    if args.json:
        serializable = {
            method: {key: asdict(v) if isinstance(v, Scores) else v for key, v in parts.items()}
            for method, parts in report.items()
        }
        print(json.dumps(serializable, indent=2))
        return 0
    print(f"{'method':<8} {'subset':<11} {'n':>3} {'MRR':>6} {'R@5':>6} {'hit@1':>6}")
    for method, parts in report.items():
        for subset, scores in parts.items():
            if isinstance(scores, Scores):
                print(
                    f"{method:<8} {subset:<11} {scores.queries:>3} {scores.mrr:>6.3f} "
                    f"{scores.recall_at_5:>6.3f} {scores.hit_at_1:>6.3f}"
                )
        print(f"{method:<8} median latency {parts['median_ms']:.2f} ms a query")
    return 0


if __name__ == "__main__":
    sys.exit(main())
