"""python -m iot_pipeline {simulate,ingest,rollup,admit-late,export}: the pipeline's CLI.

  simulate --devices N --minutes M --seed S   JSON lines to stdout, in arrival order
  ingest FILE|- --db PATH [--batch-rows N --batch-seconds S --lateness-minutes L]
                                              one line of JSON: what the ingest did
  rollup --db PATH --device ID                the device's hourly rows, one JSON line each
  admit-late --db PATH                        let the set-aside late readings in
  export --db PATH --out DIR                  final days to Parquet, a folder per day

Exit codes: 0 done, 2 bad input (a missing file, a bad number, an unknown device, a file
that is not a pipeline database), answered by one line ``error: ...`` on stderr and never
a traceback; 130 interrupted (the batches committed so far are kept).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from iot_pipeline import PipelineError

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(PipelineError):
    """Bad input: printed as one line, exit 2."""


class Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line and exit 2 (no usage block)."""

    def error(self, message: str):
        raise UsageError(message)


def integer(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"want a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"want {low}..{high}, got {value}")
        return value

    return parse


def number(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"want a number, got {text!r}") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"want {low:g}..{high:g}, got {text}")
        return value

    return parse


def timestamp(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"want an ISO 8601 time, got {text!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def build_parser() -> Parser:
    parser = Parser(prog="python -m iot_pipeline", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    simulate = commands.add_parser("simulate", help="device readings as JSON lines to stdout")
    simulate.add_argument("--devices", type=integer(1, 10_000), default=10, help="(10)")
    simulate.add_argument("--minutes", type=integer(1, 525_600), default=60, help="(60)")
    simulate.add_argument("--seed", type=integer(0, 2**63), default=0, help="(0)")
    simulate.add_argument(
        "--start", type=timestamp, help="first reading, ISO 8601, UTC if no zone (2026-03-02)"
    )
    simulate.add_argument(
        "--interval-seconds", type=number(0.5, 3600), default=5.0, help="per device (5)"
    )

    ingest = commands.add_parser("ingest", help="JSON lines into the database")
    ingest.add_argument("input", metavar="FILE", help="a JSON-lines file, or - for stdin")
    ingest.add_argument("--db", required=True, type=Path, help="DuckDB file (created if new)")
    ingest.add_argument(
        "--batch-rows", type=integer(1, 1_000_000), default=5_000, help="flush at (5000)"
    )
    ingest.add_argument(
        "--batch-seconds", type=number(0, 3600), default=1.0, help="flush after (1.0)"
    )
    ingest.add_argument(
        "--lateness-minutes", type=number(0, 525_600), default=30.0, help="window (30)"
    )
    ingest.add_argument(
        "--dead-letters", type=Path, help="JSON-lines file (DB path with .dead-letters.jsonl)"
    )

    rollup = commands.add_parser("rollup", help="a device's hourly rollup as JSON lines")
    rollup.add_argument("--db", required=True, type=Path)
    rollup.add_argument("--device", required=True)

    admit = commands.add_parser("admit-late", help="admit the readings set aside as too late")
    admit.add_argument("--db", required=True, type=Path)

    export = commands.add_parser("export", help="final days to Parquet, partitioned by day")
    export.add_argument("--db", required=True, type=Path)
    export.add_argument("--out", required=True, type=Path, help="output folder")
    return parser


def run_simulate(args) -> int:
    from iot_pipeline.simulator import DEFAULT_START, simulate

    lines = simulate(
        args.devices,
        args.minutes,
        args.seed,
        start=args.start or DEFAULT_START,
        interval_s=args.interval_seconds,
    )
    try:
        for line in lines:
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def run_ingest(args) -> int:
    from iot_pipeline.pipeline import DeadLetterFile, ingest
    from iot_pipeline.sources import read_file, read_stdin, with_idle_ticks
    from iot_pipeline.store import Store

    if args.input == "-":
        tick = max(0.01, min(0.5, args.batch_seconds / 2))
        lines = with_idle_ticks(read_stdin(), tick)
    else:
        try:
            lines = read_file(args.input)
        except FileNotFoundError:
            raise UsageError(f"{args.input}: no such file") from None
        except OSError as error:
            raise UsageError(f"{args.input}: {error.strerror}") from None
    store = Store.open(args.db, timedelta(minutes=args.lateness_minutes))
    dead_letters = DeadLetterFile(args.dead_letters or args.db.with_suffix(".dead-letters.jsonl"))
    try:
        summary = ingest(
            lines,
            store,
            max_rows=args.batch_rows,
            max_seconds=args.batch_seconds,
            dead_letters=dead_letters,
        )
    finally:
        store.close()
    print(summary.to_json())
    if summary.dead_lettered:
        print(f"{summary.dead_lettered} dead letters in {dead_letters.path}", file=sys.stderr)
    return 0


def run_rollup(args) -> int:
    from iot_pipeline.rollup import device_buckets
    from iot_pipeline.store import open_existing, read_state

    con = open_existing(args.db)
    try:
        known = con.execute(
            "SELECT count(*) FROM readings WHERE device = $d", {"d": args.device}
        ).fetchone()[0]
        if not known:
            devices = [
                row[0]
                for row in con.execute(
                    "SELECT DISTINCT device FROM readings ORDER BY device LIMIT 4"
                ).fetchall()
            ]
            hint = f" (devices: {', '.join(devices)}, ...)" if devices else " (it is empty)"
            raise UsageError(f"--device: no readings for {args.device!r} in {args.db}{hint}")
        state = read_state(con)
        rows = device_buckets(
            con,
            args.device,
            materialized_until=state.materialized_until,
            final_before=state.final_before,
        )
    finally:
        con.close()
    for row in rows:
        print(json.dumps(row))
    return 0


def run_admit_late(args) -> int:
    from iot_pipeline.store import Store, open_existing

    open_existing(args.db).close()  # must exist and be a pipeline database
    store = Store.open(args.db)
    try:
        admitted = store.admit_late()
    finally:
        store.close()
    print(json.dumps({"admitted": admitted}))
    return 0


def run_export(args) -> int:
    from iot_pipeline.export import export_final_days
    from iot_pipeline.store import open_existing

    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out: {args.out} exists and is not a folder")
    con = open_existing(args.db)
    try:
        written = export_final_days(con, args.out)
    finally:
        con.close()
    print(json.dumps(written))
    return 0


COMMANDS = {
    "simulate": run_simulate,
    "ingest": run_ingest,
    "rollup": run_rollup,
    "admit-late": run_admit_late,
    "export": run_export,
}


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except PipelineError as error:  # a UsageError, or the store's StoreError
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("error: interrupted (the batches committed so far are kept)", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
