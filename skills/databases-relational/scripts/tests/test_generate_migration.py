"""generate_migration.py end to end: generate, apply with Alembic, detect no drift."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

MODELS_V1 = """
from sqlalchemy import ForeignKey, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention={"ix": "ix_%(column_0_label)s"})


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))

NOT_METADATA = 42
"""

# Version 2 adds a nullable column and its index: the next migration in the history.
MODELS_V2 = MODELS_V1.replace(
    "    title: Mapped[str] = mapped_column(String(200))\n",
    "    title: Mapped[str] = mapped_column(String(200))\n"
    "    isbn: Mapped[str | None] = mapped_column(String(20), index=True)\n",
)


def write_models(folder: Path, source: str, name: str = "library_models") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(source))


def empty_db(path: Path) -> Path:
    sqlite3.connect(path).close()
    return path


def alembic_project(root: Path, db: Path) -> Path:
    """A bare Alembic project (generic template) pointing at ``db``; returns versions/."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(root / "alembic.ini"))
    command.init(config, str(root / "migrations"))
    ini = (root / "alembic.ini").read_text()
    ini = ini.replace(
        "sqlalchemy.url = driver://user:pass@localhost/dbname", f"sqlalchemy.url = sqlite:///{db}"
    )
    (root / "alembic.ini").write_text(ini)
    return root / "migrations" / "versions"


def alembic(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def table_names(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    conn.close()
    return {name for (name,) in rows}


def test_generate_apply_and_detect_no_changes(tmp_path: Path, generate_migration) -> None:
    write_models(tmp_path, MODELS_V1)
    db = empty_db(tmp_path / "library.db")
    versions = alembic_project(tmp_path, db)
    url = f"sqlite:///{db}"

    # 1. Empty database -> the initial revision, written into the Alembic project.
    first = generate_migration(
        "--database-url", url, "--metadata", "library_models:Base", "--message", "initial",
        "--rev-id", "0001", "--out", str(versions), cwd=tmp_path,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    revision_file = versions / "0001_initial.py"
    assert revision_file.is_file()
    source = revision_file.read_text()
    assert "revision: str = '0001'" in source
    assert "down_revision: str | Sequence[str] | None = None" in source
    assert "def upgrade() -> None:" in source and "def downgrade() -> None:" in source
    compile(source, str(revision_file), "exec")
    assert table_names(db) == set()  # generating never touches the database

    # 2. Alembic applies it; the tables exist.
    upgraded = alembic(tmp_path, "upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr
    assert {"authors", "books", "alembic_version"} <= table_names(db)

    # 3. Same models again: nothing to do -> exit 1, nothing written anywhere.
    again = generate_migration(
        "--database-url", url, "--metadata", "library_models:Base", "--out", str(versions),
        cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 1
    assert again.stdout == ""
    assert "no changes" in again.stderr
    assert sorted(p.name for p in versions.glob("*.py")) == ["0001_initial.py"]

    # 4. Models change -> next revision chains onto the database's head and applies.
    write_models(tmp_path, MODELS_V2)
    second = generate_migration(
        "--database-url", url, "--metadata", "library_models:Base.metadata",
        "--message", "add isbn", "--rev-id", "0002", "--out", str(versions), "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    assert summary["down_revision"] == "0001"
    assert summary["changes"] == ["add_column books.isbn", "add_index books.ix_books_isbn"]
    assert summary["path"] == str(versions / "0002_add_isbn.py")
    assert alembic(tmp_path, "upgrade", "head").returncode == 0
    with sqlite3.connect(db) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(books)")}
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    conn.close()
    assert "isbn" in columns and version == "0002"

    # 5. And the whole history downgrades cleanly.
    assert alembic(tmp_path, "downgrade", "base").returncode == 0
    assert table_names(db) == {"alembic_version"}


def test_down_revision_comes_from_alembic_version(tmp_path: Path, generate_migration) -> None:
    write_models(tmp_path, MODELS_V1)
    db = empty_db(tmp_path / "versioned.db")
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('abc123def456')")
    conn.close()

    result = generate_migration(
        "--database-url", f"sqlite:///{db}", "--metadata", "library_models:Base",
        "--rev-id", "fedcba", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "down_revision: str | Sequence[str] | None = 'abc123def456'" in result.stdout
    assert "Revises: abc123def456" in result.stdout
    # alembic_version is Alembic's own table: never proposed for dropping.
    assert "alembic_version" not in result.stdout

    overridden = generate_migration(
        "--database-url", f"sqlite:///{db}", "--metadata", "library_models:Base",
        "--down-revision", "0042", "--json", cwd=tmp_path,
    )  # fmt: skip
    assert json.loads(overridden.stdout)["down_revision"] == "0042"


def test_module_found_through_path_option(tmp_path: Path, generate_migration) -> None:
    write_models(tmp_path / "src", MODELS_V1, name="elsewhere_models")
    db = empty_db(tmp_path / "x.db")
    args = ["--database-url", f"sqlite:///{db}", "--metadata", "elsewhere_models:Base"]
    without = generate_migration(*args, cwd=tmp_path)
    assert without.returncode == 2
    with_path = generate_migration(*args, "--path", str(tmp_path / "src"), cwd=tmp_path)
    assert with_path.returncode == 0, with_path.stderr
    assert "op.create_table('authors'" in with_path.stdout


def test_custom_types_are_imported_or_inlined(tmp_path: Path, generate_migration) -> None:
    write_models(
        tmp_path,
        """
        from sqlalchemy import Column, Integer, MetaData, String, Table, TypeDecorator

        class Upper(TypeDecorator):
            impl = String(10)
            cache_ok = True

        metadata = MetaData()
        codes = Table("codes", metadata, Column("id", Integer, primary_key=True),
                      Column("code", Upper()))
        """,
        name="typed_models",
    )
    db = empty_db(tmp_path / "typed.db")
    args = ["--database-url", f"sqlite:///{db}", "--metadata", "typed_models:metadata"]
    plain = generate_migration(*args, cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert "import typed_models\n" in plain.stdout
    assert "typed_models.Upper(" in plain.stdout
    inlined = generate_migration(*args, "--inline-type-decorators", cwd=tmp_path)
    assert "import typed_models" not in inlined.stdout
    assert "sa.String(length=10)" in inlined.stdout


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ("library_models:NOT_METADATA", "not a SQLAlchemy MetaData"),
        ("library_models:Nope", "has no attribute"),
        ("no_such_module:Base", "cannot import 'no_such_module'"),
        ("library_models", "module.path:attribute"),
        ("broken_models:Base", "cannot import 'broken_models': SyntaxError"),
    ],
)
def test_bad_metadata(
    tmp_path: Path, generate_migration, one_line_error, metadata, expected
) -> None:
    write_models(tmp_path, MODELS_V1)
    (tmp_path / "broken_models.py").write_text("def oops(:\n")
    db = empty_db(tmp_path / "x.db")
    result = generate_migration(
        "--database-url", f"sqlite:///{db}", "--metadata", metadata, cwd=tmp_path
    )
    assert expected in one_line_error(result, "generate_migration")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "not a database URL"),
        ("nosuchdb://user:secret@host/db", "unknown database URL scheme"),
    ],
)
def test_bad_urls(tmp_path: Path, generate_migration, one_line_error, url, expected) -> None:
    write_models(tmp_path, MODELS_V1)
    result = generate_migration(
        "--database-url", url, "--metadata", "library_models:Base", cwd=tmp_path
    )
    line = one_line_error(result, "generate_migration")
    assert expected in line and "secret" not in line


def test_missing_sqlite_file_is_not_created(
    tmp_path: Path, generate_migration, one_line_error
) -> None:
    write_models(tmp_path, MODELS_V1)
    missing = tmp_path / "missing.db"
    result = generate_migration(
        "--database-url", f"sqlite:///{missing}", "--metadata", "library_models:Base",
        cwd=tmp_path,
    )  # fmt: skip
    assert "not found" in one_line_error(result, "generate_migration")
    assert not missing.exists()


def test_other_bad_input(tmp_path: Path, generate_migration, one_line_error) -> None:
    write_models(tmp_path, MODELS_V1)
    db = empty_db(tmp_path / "x.db")
    base = ["--database-url", f"sqlite:///{db}", "--metadata", "library_models:Base"]
    one_line_error(
        generate_migration(*base, "--rev-id", "../evil", cwd=tmp_path), "generate_migration"
    )
    one_line_error(
        generate_migration(*base, "--out", str(tmp_path / "no_dir"), cwd=tmp_path),
        "generate_migration",
    )
    one_line_error(
        generate_migration("--metadata", "library_models:Base", cwd=tmp_path), "generate_migration"
    )
    # An existing revision file is never overwritten.
    out = tmp_path / "versions"
    out.mkdir()
    (out / "0001_initial.py").write_text("keep me")
    clash = generate_migration(
        *base, "--rev-id", "0001", "--message", "initial", "--out", str(out), cwd=tmp_path
    )
    assert "refusing to overwrite" in one_line_error(clash, "generate_migration")
    assert (out / "0001_initial.py").read_text() == "keep me"


def test_help(generate_migration) -> None:
    result = generate_migration("--help")
    assert result.returncode == 0
    assert "--database-url" in result.stdout and "--metadata" in result.stdout
    assert result.stderr == ""
