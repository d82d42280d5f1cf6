"""Command line: ``python -m document_ingestion ingest|search ...``.

Results go to stdout (text, or JSON with ``--json``), diagnostics to stderr. Exit codes:
0 done, 1 done but some documents are dead letters, 2 bad input (one line ``error: ...``,
never a traceback). Arguments are checked before the embedder and Chroma are loaded, so a
typo costs a fraction of a second.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from document_ingestion.chunking import CHUNKERS, make_chunks

EXIT_OK, EXIT_DEAD_LETTERS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input: printed as one line, exit 2."""


class Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line and exit 2 (no usage block)."""

    def error(self, message: str):
        raise UsageError(message)


def build_parser() -> Parser:
    parser = Parser(prog="python -m document_ingestion", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    ingest = commands.add_parser("ingest", help="ingest a folder of .md/.txt documents")
    ingest.add_argument("source_dir", type=Path, metavar="SOURCE_DIR")
    ingest.add_argument("--store", type=Path, required=True, help="the store folder")
    ingest.add_argument("--chunker", default="recursive", help=f"one of {', '.join(CHUNKERS)}")
    ingest.add_argument("--chunk-size", type=int, default=800, help="characters (800)")
    ingest.add_argument("--overlap", type=int, default=100, help="characters (100)")
    ingest.add_argument("--json", action="store_true", help="the report as JSON")
    search = commands.add_parser("search", help="the chunks nearest to a question")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--store", type=Path, required=True, help="the store folder")
    search.add_argument("-k", type=int, default=5, help="how many chunks (5)")
    search.add_argument("--json", action="store_true", help="the hits as JSON")
    return parser


def _check_ingest(args: argparse.Namespace) -> None:
    try:
        make_chunks("", args.chunker, args.chunk_size, args.overlap)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if not args.source_dir.exists():
        raise UsageError(f"source folder {args.source_dir} does not exist")
    if not args.source_dir.is_dir():
        raise UsageError(f"source {args.source_dir} is not a folder")
    if args.store.exists() and not args.store.is_dir():
        raise UsageError(f"store {args.store} is not a folder")


def _check_search(args: argparse.Namespace) -> None:
    if not args.query.strip():
        raise UsageError("the query is empty")
    if args.k < 1:
        raise UsageError(f"-k must be at least 1, got {args.k}")
    from document_ingestion.pipeline import MANIFEST_FILE

    if not (args.store / MANIFEST_FILE).is_file():
        raise UsageError(f"store {args.store} holds no ingested documents: run ingest first")


def _pipeline(args: argparse.Namespace, **settings):
    from document_ingestion.embeddings import default_embedder
    from document_ingestion.pipeline import IngestionPipeline

    try:
        return IngestionPipeline(args.store, default_embedder(), **settings)
    except ValueError as error:  # a store built with another model
        raise UsageError(str(error)) from None


def run_ingest(args: argparse.Namespace) -> int:
    _check_ingest(args)
    from document_ingestion.pipeline import StoreBusy

    settings = {"chunker": args.chunker, "chunk_size": args.chunk_size, "overlap": args.overlap}
    with _pipeline(args, **settings) as pipeline:
        try:
            report = pipeline.ingest(args.source_dir)
        except StoreBusy as error:
            raise UsageError(str(error)) from None
        total = pipeline.count()
    for letter in report.dead_letters:
        print(f"dead letter: {letter.path}: {letter.reason}", file=sys.stderr)
    if args.json:
        print(json.dumps({**report.as_dict(), "chunks_in_store": total}, indent=2))
    else:
        print(
            f"documents: {report.documents_seen} seen, {report.documents_changed} changed, "
            f"{report.documents_unchanged} unchanged, {report.documents_deleted} deleted, "
            f"{len(report.dead_letters)} dead letters"
        )
        print(
            f"chunks: {report.chunks_embedded} embedded, {report.chunks_kept} kept, "
            f"{report.chunks_deleted} deleted, {total} in the store"
        )
    return EXIT_DEAD_LETTERS if report.dead_letters else EXIT_OK


def run_search(args: argparse.Namespace) -> int:
    _check_search(args)
    with _pipeline(args) as pipeline:
        hits = pipeline.search(args.query, k=args.k)
    if args.json:
        print(json.dumps([hit.__dict__ for hit in hits], indent=2))
        return EXIT_OK
    for rank, hit in enumerate(hits, start=1):
        where = f"{hit.path} > {hit.heading}" if hit.heading else hit.path
        print(f"{rank}. {where} [{hit.start}:{hit.end}] distance {hit.distance:.3f}")
        snippet = " ".join(hit.text.split())
        print(f"   {snippet[:200]}{'...' if len(snippet) > 200 else ''}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return run_ingest(args) if args.command == "ingest" else run_search(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
