"""Measure the pipeline on labelled_questions.yaml: retrieval hit@k, refusals, latency.

    python -m rag_pipeline.evaluation [--k 4] [--json]

hit@k is the share of labelled questions with a chunk of the labelled file among the top
k (section hit@k: of the labelled section); "answered" counts the questions not refused,
"quoted" those whose answer contains the labelled phrase. Off-topic questions must all
be refused. Latency is the wall time of ``ask`` per question, the model already loaded.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from .embeddings import default_embedder
from .pipeline import RagPipeline
from .schemas import DEFAULT_K, MAX_K
from .settings import EXAMPLE_DIR, Settings

QUESTIONS = EXAMPLE_DIR / "labelled_questions.yaml"


def load_questions(path: Path = QUESTIONS) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def evaluate(pipeline: RagPipeline, questions: dict, k: int) -> dict:
    labelled = questions["questions"]
    hits = {method: 0 for method in ("hybrid", "bm25", "dense")}
    section_hits = answered = quoted = 0
    latencies = []
    for item in labelled:
        for method in hits:
            passages = pipeline.retriever.retrieve(item["question"], k, method)
            hits[method] += item["source"] in {p.chunk.source for p in passages}
            if method == "hybrid":
                section_hits += item["heading"] in {p.chunk.heading for p in passages}
        started = time.perf_counter()
        answer = pipeline.ask(item["question"], k)
        latencies.append(time.perf_counter() - started)
        answered += bool(answer.citations)
        quoted += item["expect"] in answer.answer
    off_topic_refused = sum(not pipeline.ask(q, k).citations for q in questions["off_topic"])
    count = len(labelled)
    return {
        "k": k,
        "questions": count,
        "hit_at_k": {method: round(hit / count, 3) for method, hit in hits.items()},
        "section_hit_at_k": round(section_hits / count, 3),
        "answered": answered,
        "quoted": quoted,
        "off_topic": len(questions["off_topic"]),
        "off_topic_refused": off_topic_refused,
        "ask_ms_median": round(1000 * statistics.median(latencies), 2),
        "ask_ms_max": round(1000 * max(latencies), 2),
    }


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        self.exit(2, f"rag_pipeline.evaluation: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m rag_pipeline.evaluation", description=__doc__)
    parser.add_argument("--k", type=int, default=DEFAULT_K, help="passages (1-10)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.k <= MAX_K:
        parser.error(f"--k must be between 1 and {MAX_K}, not {arguments.k}")
    with tempfile.TemporaryDirectory() as work:
        pipeline = RagPipeline(Settings(store=Path(work) / "store.db"), default_embedder())
        result = evaluate(pipeline, load_questions(), arguments.k)
    if arguments.json:
        print(json.dumps(result, indent=2))
    else:
        for name, value in result.items():
            print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
