"""``python -m hybrid_search "query" [--method hybrid|bm25|dense] [--k 5] [--json]``.

Searches the example's help articles, or a JSONL file of your own (``--corpus``). Results
go to stdout; bad input is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from .corpus import ARTICLES_FILE, load_articles
from .engine import METHODS, HybridSearcher

PROG = "hybrid_search"
MAX_K = 50


class BadInput(Exception):
    """Input the user must fix: one line, exit 2."""


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise BadInput(message)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineParser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("query", help="what to search for")
    parser.add_argument("--method", choices=METHODS, default="hybrid", help="default: hybrid")
    parser.add_argument("--k", type=int, default=5, help=f"results, 1 to {MAX_K} (default 5)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=ARTICLES_FILE,
        help='a JSONL file of {"id", "title", "text"} articles (default: the example\'s own)',
    )
    args = parser.parse_args(argv)
    if not args.query.strip():
        raise BadInput("the query is empty")
    if not 1 <= args.k <= MAX_K:
        raise BadInput(f"--k must be from 1 to {MAX_K}, got {args.k}")
    if not args.corpus.is_file():
        raise BadInput(f"corpus file not found: {args.corpus}")
    return args


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
        try:
            articles = load_articles(args.corpus)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise BadInput(str(error).splitlines()[0]) from None
    except BadInput as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    results = HybridSearcher(articles).search(args.query, args.method, args.k)
    if args.json:
        rows = [
            {
                "id": r.article.id,
                "title": r.article.title,
                "score": round(r.score, 6),
                "bm25_rank": r.bm25_rank,
                "dense_rank": r.dense_rank,
            }
            for r in results
        ]
        print(json.dumps({"query": args.query, "method": args.method, "results": rows}))
        return 0
    for rank, r in enumerate(results, start=1):
        print(f"{rank:>2}. {r.score:.4f}  {r.article.id:<22} {r.article.title}")
    if not results:
        print("no results", file=sys.stderr)
    return 0
