#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "sqlalchemy>=2.0",
# ]
# ///
"""Lint the schema of a live relational database.

TARGET is a SQLAlchemy URL (postgresql+psycopg://..., mysql+pymysql://..., sqlite:///app.db)
or the path of a SQLite file. A SQLite file is never created or written to.

Rules (severity):
  missing-primary-key   (error)    a table without a primary key
  dangling-foreign-key  (error)    a foreign key to a table or column that does not exist
  unindexed-foreign-key (warning)  no index, unique constraint or primary key starts with
                                   the foreign key's columns: joins and ON DELETE scan
  nullable-foreign-key  (warning)  a foreign key column that allows NULL
  fk-type-mismatch      (warning)  a foreign key column typed unlike the column it references
  non-snake-case        (warning)  a table or column name that is not snake_case
  reserved-word         (warning)  a table or column named like an SQL keyword (user, order)
  missing-timestamps    (info)     a table without created_at / updated_at
  redundant-index       (info)     an index whose columns lead another index

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NoReturn

PROG = "validate_schema"
SEVERITIES = ("info", "warning", "error")
RULES = {
    "missing-primary-key": "error",
    "dangling-foreign-key": "error",
    "unindexed-foreign-key": "warning",
    "nullable-foreign-key": "warning",
    "fk-type-mismatch": "warning",
    "non-snake-case": "warning",
    "reserved-word": "warning",
    "missing-timestamps": "info",
    "redundant-index": "info",
}
# Bookkeeping tables of migration tools: not part of the application's model.
ALWAYS_EXCLUDED = {"alembic_version"}
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
# Words reserved (or reserved enough to need quoting) in PostgreSQL, MySQL or SQLite that
# people actually pick as names. Not exhaustive on purpose: no false alarms on "name".
RESERVED = frozenset(
    """all alter and as asc between by case check column constraint create default delete
    desc distinct drop end exists foreign from grant group having in index insert into is
    join key like limit not null offset on or order primary references select set table to
    union unique update user using values when where window with""".split()
)
TIMESTAMP_COLUMNS = ("created_at", "updated_at")


class BadInput(Exception):
    """Input the user must fix; reported as one line, exit code 2."""


@dataclass(frozen=True)
class Finding:
    table: str
    column: str | None
    rule: str
    severity: str
    message: str


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message}\n")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog="validate_schema.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", help="database URL, or path of a SQLite file")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--ignore", action="append", default=[], metavar="RULE", help="skip a rule (repeatable)"
    )
    parser.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default="warning",
        help="lowest severity that makes the exit code 1 (default: warning)",
    )
    parser.add_argument(
        "--exclude-table",
        action="append",
        default=[],
        metavar="NAME",
        help="skip a table (repeatable; alembic_version is always skipped)",
    )
    parser.add_argument("--schema", help="schema to inspect (default: the connection's default)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.ignore) - set(RULES))
    if unknown:
        parser.error(f"unknown rule(s) for --ignore: {', '.join(unknown)}")
    return args


def one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- connecting --------------------------------------------------------------------------


def open_engine(target: str) -> tuple[Any, str]:
    """Return (engine, what to call the database in the report)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    if "://" not in target:
        return _sqlite_read_only(Path(target)), str(Path(target))
    try:
        url = make_url(target)
    except ArgumentError:
        raise BadInput(f"not a database URL: {target!r}") from None
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise BadInput("an in-memory SQLite database is always empty; give a file")
        if url.database.startswith("file:"):
            raise BadInput("SQLite URI filenames are not supported; give the plain file path")
        return _sqlite_read_only(Path(url.database)), shown
    try:
        return create_engine(url), shown
    except NoSuchModuleError:
        raise BadInput(f"unknown database URL scheme in {shown!r}") from None
    except ImportError as exc:
        message = f"database driver for {shown!r} is not installed: {one_line(exc)}"
        raise BadInput(message) from None


def _sqlite_read_only(path: Path) -> Any:
    from sqlalchemy import create_engine

    # Checked before connecting: sqlite3.connect() on a missing path creates an empty
    # database, which would then "pass" validation.
    if not path.is_file():
        raise BadInput(f"SQLite database file not found: {path}")
    # mode=rw never creates a missing file (SQLite falls back to read-only by itself if
    # the file is write-protected); query_only refuses writes. Not mode=ro: read-only
    # connections to a WAL database leave -wal/-shm files behind.
    uri = path.resolve().as_uri() + "?mode=rw"
    return create_engine("sqlite://", creator=lambda: _connect_query_only(uri))


def _connect_query_only(uri: str) -> sqlite3.Connection:
    connection = sqlite3.connect(uri, uri=True)
    connection.execute("PRAGMA query_only=ON")
    return connection


# --- rules -------------------------------------------------------------------------------


def _index_like(insp: Any, table: str, schema: str | None) -> list[tuple[str, list[str], bool]]:
    """(name, columns, enforces_uniqueness) for indexes, unique constraints and the PK.

    SQLite (and MySQL for primary keys) do not list the automatic index behind a UNIQUE
    or PRIMARY KEY constraint among the indexes, yet it serves lookups all the same.
    """
    found = [
        (ix["name"] or "", [c for c in ix["column_names"] if c], bool(ix.get("unique")))
        for ix in insp.get_indexes(table, schema=schema)
    ]
    try:
        uniques = insp.get_unique_constraints(table, schema=schema)
    except NotImplementedError:
        uniques = []
    found += [(uq["name"] or "", uq["column_names"], True) for uq in uniques]
    pk = insp.get_pk_constraint(table, schema=schema)
    if pk.get("constrained_columns"):
        found.append((pk.get("name") or "PRIMARY KEY", pk["constrained_columns"], True))
    return found


def _type_text(column_type: Any, dialect: Any) -> str:
    try:
        return column_type.compile(dialect=dialect).upper()
    except Exception:  # noqa: BLE001 - an exotic reflected type: compare by name instead
        return type(column_type).__name__.upper()


def check_table(
    insp: Any, table: str, schema: str | None, all_tables: set[str], dialect: Any
) -> list[Finding]:
    findings: list[Finding] = []

    def add(rule: str, message: str, column: str | None = None) -> None:
        findings.append(Finding(table, column, rule, RULES[rule], message))

    columns = {c["name"]: c for c in insp.get_columns(table, schema=schema)}

    pk = insp.get_pk_constraint(table, schema=schema).get("constrained_columns") or []
    if not pk:
        add(
            "missing-primary-key",
            "no primary key: rows cannot be addressed reliably, and ORMs and replication need one",
        )

    for name in [table, *columns]:
        column = None if name == table else name
        what = "table" if column is None else "column"
        if not SNAKE_CASE.match(name):
            add("non-snake-case", f"{what} name {name!r} is not snake_case", column)
        if name.lower() in RESERVED:
            add("reserved-word", f"{what} name {name!r} is an SQL keyword; needs quoting", column)

    missing = [c for c in TIMESTAMP_COLUMNS if c not in columns]
    if missing:
        add("missing-timestamps", f"no {' / '.join(missing)} column(s) for auditing and sync")

    index_like = _index_like(insp, table, schema)
    for fk in insp.get_foreign_keys(table, schema=schema):
        cols = fk["constrained_columns"]
        label = ", ".join(cols)
        target = fk["referred_table"]
        # Order inside the leading columns does not matter: (b, a) serves a lookup on (a, b).
        if not any(set(ix[: len(cols)]) == set(cols) for _, ix, _ in index_like):
            add(
                "unindexed-foreign-key",
                f"foreign key ({label}) -> {target} has no index starting with its "
                f"column(s): joins and deletes on {target} scan {table}",
                label,
            )
        for col in cols:
            if columns.get(col, {}).get("nullable"):
                add(
                    "nullable-foreign-key",
                    f"foreign key column {col!r} allows NULL: rows may have no {target}; "
                    "declare NOT NULL unless the relationship is optional",
                    col,
                )
        referred_schema = fk.get("referred_schema")
        if referred_schema in (None, schema) and target not in all_tables:
            add(
                "dangling-foreign-key",
                f"foreign key ({label}) references missing table {target!r}",
                label,
            )
            continue
        try:
            referred_columns = {
                c["name"]: c for c in insp.get_columns(target, schema=referred_schema or schema)
            }
        except Exception:  # noqa: BLE001 - e.g. no privilege on another schema
            continue
        for col, ref in zip(cols, fk["referred_columns"], strict=False):
            if ref not in referred_columns:
                add(
                    "dangling-foreign-key",
                    f"foreign key column {col!r} references missing column {target}.{ref}",
                    col,
                )
            elif col in columns:
                mine = _type_text(columns[col]["type"], dialect)
                theirs = _type_text(referred_columns[ref]["type"], dialect)
                if mine != theirs:
                    add(
                        "fk-type-mismatch",
                        f"{col} is {mine} but {target}.{ref} is {theirs}",
                        col,
                    )

    for i, (name, mine, unique) in enumerate(index_like):
        if unique or not mine:
            continue
        for j, (other_name, other, other_unique) in enumerate(index_like):
            if i == j or other[: len(mine)] != mine:
                continue
            # An equal-length twin is reported once (on the later one) unless it enforces
            # uniqueness, in which case the plain index is the redundant one.
            if len(other) > len(mine) or other_unique or j < i:
                add(
                    "redundant-index",
                    f"index {name or '(unnamed)'} ({', '.join(mine)}) is covered by "
                    f"{other_name or 'an unnamed constraint'} ({', '.join(other)}); "
                    "every write maintains both",
                    ", ".join(mine),
                )
                break
    return findings


def validate(engine: Any, schema: str | None, excluded: set[str]) -> tuple[int, list[Finding]]:
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as conn:
            insp = inspect(conn)
            all_tables = set(insp.get_table_names(schema=schema))
            tables = sorted(all_tables - excluded)
            findings: list[Finding] = []
            for table in tables:
                findings += check_table(insp, table, schema, all_tables, conn.dialect)
    except SQLAlchemyError as exc:
        raise BadInput(f"cannot read the database: {one_line(exc)}") from None
    finally:
        engine.dispose()
    return len(tables), findings


# --- reporting ---------------------------------------------------------------------------


def summarise(findings: list[Finding], fail_on: str) -> dict[str, Any]:
    counts = Counter(f.severity for f in findings)
    threshold = SEVERITIES.index(fail_on)
    failing = sum(n for sev, n in counts.items() if SEVERITIES.index(sev) >= threshold)
    return {
        "error": counts["error"],
        "warning": counts["warning"],
        "info": counts["info"],
        "total": len(findings),
        "fail_on": fail_on,
        "failed": failing > 0,
    }


def render_text(database: str, table_count: int, findings: list[Finding], summary: dict) -> str:
    lines = [f"database: {database} ({table_count} tables)"]
    for f in findings:
        where = f.table if f.column is None else f"{f.table}.{f.column}"
        lines.append(f"{f.severity.upper():<8} {f.rule:<22} {where}: {f.message}")
    verdict = "FAIL" if summary["failed"] else "ok"
    lines.append(
        f"{summary['error']} error(s), {summary['warning']} warning(s), {summary['info']} "
        f"info; fail-on {summary['fail_on']}: {verdict}"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        engine, database = open_engine(args.target)
        table_count, findings = validate(
            engine, args.schema, ALWAYS_EXCLUDED | set(args.exclude_table)
        )
    except BadInput as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2

    if table_count == 0:
        print(f"{PROG}: note: no tables found in {database}", file=sys.stderr)
    order = {sev: i for i, sev in enumerate(reversed(SEVERITIES))}
    findings = sorted(
        (f for f in findings if f.rule not in set(args.ignore)),
        key=lambda f: (order[f.severity], f.table, f.column or "", f.rule),
    )
    summary = summarise(findings, args.fail_on)
    if args.json:
        report = {
            "database": database,
            "tables": table_count,
            "findings": [asdict(f) for f in findings],
            "summary": summary,
        }
        print(json.dumps(report, indent=2))
    else:
        print(render_text(database, table_count, findings, summary))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
