"""validate_schema.py, run as a subprocess against SQLite files built with sqlite3."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

GOOD_SCHEMA = """
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX ix_orders_customer_id_created_at ON orders (customer_id, created_at);
CREATE TABLE order_tags (
    order_id INTEGER NOT NULL REFERENCES orders (id),
    tag TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (order_id, tag)
);
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
"""


def make_db(path: Path, ddl: str) -> Path:
    with sqlite3.connect(path) as conn:
        conn.executescript(ddl)
    conn.close()
    return path


def findings(stdout: str) -> set[tuple[str, str | None, str]]:
    return {(f["table"], f["column"], f["rule"]) for f in json.loads(stdout)["findings"]}


def test_good_schema_passes(tmp_path: Path, validate_schema) -> None:
    db = make_db(tmp_path / "good.db", GOOD_SCHEMA)
    result = validate_schema(str(db), "--json", "--fail-on", "info")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    # alembic_version is bookkeeping and skipped; the composite PK covers order_tags'
    # foreign key and the two-column index covers orders'.
    assert report["tables"] == 3
    assert report["findings"] == []
    assert report["summary"]["failed"] is False


def test_good_schema_text_report(tmp_path: Path, validate_schema) -> None:
    db = make_db(tmp_path / "good.db", GOOD_SCHEMA)
    result = validate_schema(f"sqlite:///{db}")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == f"database: sqlite:///{db} (3 tables)"
    assert result.stdout.rstrip().endswith("fail-on warning: ok")


def test_table_without_primary_key(tmp_path: Path, validate_schema) -> None:
    db = make_db(
        tmp_path / "nopk.db",
        "CREATE TABLE events (name TEXT NOT NULL, created_at TEXT, updated_at TEXT);",
    )
    result = validate_schema(str(db), "--json")
    assert result.returncode == 1
    assert findings(result.stdout) == {("events", None, "missing-primary-key")}
    report = json.loads(result.stdout)
    assert report["findings"][0]["severity"] == "error"
    assert report["summary"] == {
        "error": 1,
        "warning": 0,
        "info": 0,
        "total": 1,
        "fail_on": "warning",
        "failed": True,
    }


def test_unindexed_and_nullable_foreign_key(tmp_path: Path, validate_schema) -> None:
    db = make_db(
        tmp_path / "fk.db",
        """
        CREATE TABLE authors (id INTEGER PRIMARY KEY, created_at TEXT, updated_at TEXT);
        CREATE TABLE books (
            id INTEGER PRIMARY KEY,
            author_id INTEGER REFERENCES authors (id),
            created_at TEXT, updated_at TEXT
        );
        """,
    )
    result = validate_schema(str(db), "--json")
    assert result.returncode == 1
    assert findings(result.stdout) == {
        ("books", "author_id", "unindexed-foreign-key"),
        ("books", "author_id", "nullable-foreign-key"),
    }
    # Adding the index clears the first finding; only the nullable one is left.
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE INDEX ix_books_author_id ON books (author_id)")
    conn.close()
    again = validate_schema(str(db), "--json")
    assert findings(again.stdout) == {("books", "author_id", "nullable-foreign-key")}


def test_index_must_lead_with_the_foreign_key(tmp_path: Path, validate_schema) -> None:
    db = make_db(
        tmp_path / "lead.db",
        """
        CREATE TABLE authors (id INTEGER PRIMARY KEY, created_at TEXT, updated_at TEXT);
        CREATE TABLE books (
            id INTEGER PRIMARY KEY,
            author_id INTEGER NOT NULL REFERENCES authors (id),
            title TEXT NOT NULL,
            created_at TEXT, updated_at TEXT
        );
        -- author_id second: this index cannot serve a lookup by author_id.
        CREATE INDEX ix_books_title_author_id ON books (title, author_id);
        """,
    )
    result = validate_schema(str(db), "--json")
    assert findings(result.stdout) == {("books", "author_id", "unindexed-foreign-key")}


def test_camel_case_and_reserved_names(tmp_path: Path, validate_schema) -> None:
    db = make_db(
        tmp_path / "names.db",
        """
        CREATE TABLE "userAccounts" (
            "userId" INTEGER PRIMARY KEY,
            "order" TEXT,
            created_at TEXT, updated_at TEXT
        );
        """,
    )
    result = validate_schema(str(db), "--json")
    assert result.returncode == 1
    assert findings(result.stdout) == {
        ("userAccounts", None, "non-snake-case"),
        ("userAccounts", "userId", "non-snake-case"),
        ("userAccounts", "order", "reserved-word"),
    }


def test_dangling_and_mistyped_foreign_keys(tmp_path: Path, validate_schema) -> None:
    db = make_db(
        tmp_path / "dangling.db",
        """
        CREATE TABLE parents (id INTEGER PRIMARY KEY, created_at TEXT, updated_at TEXT);
        CREATE TABLE children (
            id INTEGER PRIMARY KEY,
            ghost_id INTEGER NOT NULL REFERENCES ghosts (id),
            parent_code TEXT NOT NULL REFERENCES parents (id),
            created_at TEXT, updated_at TEXT
        );
        CREATE INDEX ix_children_ghost_id ON children (ghost_id);
        CREATE INDEX ix_children_parent_code ON children (parent_code);
        """,
    )
    result = validate_schema(str(db), "--json")
    assert findings(result.stdout) == {
        ("children", "ghost_id", "dangling-foreign-key"),
        ("children", "parent_code", "fk-type-mismatch"),
    }


def test_timestamps_and_redundant_index_are_info(tmp_path: Path, validate_schema) -> None:
    db = make_db(
        tmp_path / "info.db",
        """
        CREATE TABLE notes (id INTEGER PRIMARY KEY, author TEXT, title TEXT);
        CREATE INDEX ix_notes_author ON notes (author);
        CREATE INDEX ix_notes_author_title ON notes (author, title);
        """,
    )
    # Info findings do not fail the default threshold (warning)...
    result = validate_schema(str(db), "--json")
    assert result.returncode == 0
    assert findings(result.stdout) == {
        ("notes", None, "missing-timestamps"),
        ("notes", "author", "redundant-index"),
    }
    # ...but do at --fail-on info, unless ignored.
    assert validate_schema(str(db), "--fail-on", "info").returncode == 1
    ignored = validate_schema(
        str(db),
        "--fail-on",
        "info",
        "--ignore",
        "missing-timestamps",
        "--ignore",
        "redundant-index",
    )
    assert ignored.returncode == 0, ignored.stdout


def test_fail_on_error_and_exclude_table(tmp_path: Path, validate_schema) -> None:
    db = make_db(
        tmp_path / "mixed.db",
        """
        CREATE TABLE "badName" (id INTEGER PRIMARY KEY, created_at TEXT, updated_at TEXT);
        CREATE TABLE legacy (x TEXT);
        """,
    )
    assert validate_schema(str(db), "--fail-on", "error").returncode == 1  # legacy: no PK
    only_warnings = validate_schema(str(db), "--fail-on", "error", "--exclude-table", "legacy")
    assert only_warnings.returncode == 0
    assert "badName" in only_warnings.stdout and "legacy" not in only_warnings.stdout


@pytest.mark.parametrize("form", ["path", "url"])
def test_missing_file_is_not_created(tmp_path: Path, validate_schema, one_line_error, form) -> None:
    missing = tmp_path / "nowhere" / "missing.db"
    target = str(missing) if form == "path" else f"sqlite:///{missing}"
    line = one_line_error(validate_schema(target), "validate_schema")
    assert "not found" in line
    assert not missing.exists()
    assert not missing.parent.exists()


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("nosuchdb://user@host/db", "unknown database URL scheme"),
        ("postgresql+nosuchdriver://u:secret@127.0.0.1/db", "unknown database URL scheme"),
        ("sqlite://", "in-memory"),
    ],
)
def test_bad_urls(validate_schema, one_line_error, target: str, expected: str) -> None:
    line = one_line_error(validate_schema(target), "validate_schema")
    assert expected in line
    assert "secret" not in line  # passwords are masked in messages


def test_file_that_is_not_a_database(tmp_path: Path, validate_schema, one_line_error) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("this is not SQLite\n" * 100)
    line = one_line_error(validate_schema(str(junk)), "validate_schema")
    assert "cannot read the database" in line
    assert junk.read_text().startswith("this is not SQLite")


def test_unknown_rule_and_help(validate_schema, one_line_error) -> None:
    one_line_error(validate_schema("x.db", "--ignore", "no-such-rule"), "validate_schema")
    helped = validate_schema("--help")
    assert helped.returncode == 0
    assert "unindexed-foreign-key" in helped.stdout and "--fail-on" in helped.stdout


def test_database_is_not_modified(tmp_path: Path, validate_schema) -> None:
    db = make_db(tmp_path / "good.db", GOOD_SCHEMA)
    before = db.read_bytes()
    assert validate_schema(str(db)).returncode == 0
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.db"]  # no -wal/-shm litter


def test_the_skill_example_schema_is_clean(tmp_path: Path, validate_schema) -> None:
    # The example's own Alembic history, applied from another directory, passes every rule.
    example = Path(__file__).resolve().parents[2] / "examples" / "python-sqlalchemy"
    db = tmp_path / "shop.db"
    migrated = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(example / "alembic.ini"), "upgrade", "head"],
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{db}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    result = validate_schema(str(db), "--json", "--fail-on", "info")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["tables"] == 4
