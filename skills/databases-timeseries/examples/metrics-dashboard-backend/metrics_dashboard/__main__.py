"""python -m metrics_dashboard {serve,retention,refresh} --db PATH ...: the dashboard backend.

  serve      serve the API with uvicorn (127.0.0.1:8000 by default); creates the file
  retention  drop raw points older than --days days, keep the rollups
  refresh    bring the rollups up to date now (for a server run with --no-refresh-on-ingest)

Exit codes: 0 done, 1 the database is in use by another process (DuckDB lets one process
write a file: stop the server, or run the job inside it), 2 bad input. Errors are one line
``error: ...`` on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_BUSY = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input: printed as one line, exit 2."""


class Busy(Exception):
    """The file is locked by another process: one line, exit 1."""


class Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line and exit 2 (no usage block). Subcommand
    parsers are made of the same class, so theirs are too."""

    def error(self, message: str):
        raise UsageError(message)


def build_parser() -> Parser:
    parser = Parser(
        prog="python -m metrics_dashboard",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve the API")
    serve.add_argument("--db", required=True, metavar="PATH", help="the DuckDB file")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="TCP port (8000)")
    serve.add_argument(
        "--no-refresh-on-ingest",
        action="store_true",
        help="leave rollups to POST /rollups/refresh (or the refresh command)",
    )
    serve.add_argument(
        "--max-series", type=int, default=10_000, help="series the store may hold (10000)"
    )
    retention = commands.add_parser("retention", help="drop old raw points, keep rollups")
    retention.add_argument("--db", required=True, metavar="PATH", help="the DuckDB file")
    retention.add_argument(
        "--days", type=int, required=True, help="keep raw points of the last DAYS days"
    )
    refresh = commands.add_parser("refresh", help="refresh the rollups")
    refresh.add_argument("--db", required=True, metavar="PATH", help="the DuckDB file")
    return parser


def check_db_path(raw: str, *, must_exist: bool) -> Path:
    path = Path(raw)
    if path.is_dir():
        raise UsageError(f"--db {raw}: is a directory, not a DuckDB file")
    if must_exist and not path.is_file():
        raise UsageError(f"--db {raw}: no such file (serve creates one)")
    if not path.parent.is_dir():
        raise UsageError(f"--db {raw}: folder {path.parent} does not exist")
    return path


def open_store(path: Path, **options):
    import duckdb

    from metrics_dashboard.store import MetricsStore

    try:
        return MetricsStore(path, **options)
    except duckdb.IOException as error:
        text = str(error)
        if "lock" in text.lower():
            raise Busy(f"{path} is open in another process (a running server?)") from None
        raise UsageError(f"--db {path}: {text.splitlines()[0]}") from None


def run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        if not 0 <= args.port <= 65535:
            raise UsageError(f"--port must be 0..65535, got {args.port}")
        if args.max_series < 1:
            raise UsageError(f"--max-series must be at least 1, got {args.max_series}")
        path = check_db_path(args.db, must_exist=False)
        store = open_store(path, max_series=args.max_series)
        import uvicorn

        from metrics_dashboard.api import Settings, create_app

        settings = Settings(
            db_path=path,
            refresh_on_ingest=not args.no_refresh_on_ingest,
            max_series=args.max_series,
        )
        try:
            uvicorn.run(create_app(settings, store=store), host=args.host, port=args.port)
        finally:
            store.close()
        return 0
    if args.command == "retention" and args.days < 1:
        raise UsageError(f"--days must be at least 1, got {args.days}")
    store = open_store(check_db_path(args.db, must_exist=True))
    try:
        if args.command == "retention":
            result = store.apply_retention(args.days)
            print(
                f"dropped {result.dropped} raw points before {result.cutoff:%Y-%m-%dT%H:%M:%SZ}; "
                f"rollups kept (refreshed first: {result.refresh.minutes} minutes, "
                f"{result.refresh.hours} hours)"
            )
        else:
            result = store.refresh()
            print(
                f"refreshed {result.minutes} minutes and {result.hours} hours; "
                f"watermark {result.watermark:%Y-%m-%dT%H:%M:%SZ}"
            )
    finally:
        store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(argv)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Busy as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BUSY


if __name__ == "__main__":
    sys.exit(main())
