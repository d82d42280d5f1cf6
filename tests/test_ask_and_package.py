"""`backend-skills ask` (FTS5 over the skills library) and `package` (validated zips)."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from backend_skills.ask import ask, to_match_query
from backend_skills.cli import main
from backend_skills.package import PackageError, package_skill


def test_ask_ranks_the_section_that_answers():
    hits = ask("enable WAL journal mode busy_timeout", limit=3)
    assert hits and hits[0].section.path.endswith("references/sqlite.md")
    assert hits[0].score >= hits[-1].score
    assert "#" in hits[0].section.anchor


def test_ask_filters_by_skill_and_survives_fts_syntax():
    assert all(
        h.section.skill == "databases-relational"
        for h in ask("keyset pagination cursor", skill="databases-relational")
    )
    ask('") OR body MATCH "x', limit=2)  # quoted per word: never FTS5 syntax
    assert to_match_query('say "hi"') == '"say" OR "hi"'
    with pytest.raises(ValueError):
        to_match_query("?? !")


def test_ask_cli_exit_codes(run_main):
    def run(*args):
        return run_main(main, "ask", *args)

    assert run("alembic autogenerate").returncode == 0
    assert run("zzzqqqxxyy").returncode == 1
    bad = run("...")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_the_ask_entry_point_exits_1_when_nothing_matches():
    command = [sys.executable, "-m", "backend_skills.cli", "ask", "zzzqqqxxyy"]
    assert subprocess.run(command, capture_output=True, text=True).returncode == 1


def test_package_makes_a_reproducible_zip_of_the_skill(tmp_path):
    first = package_skill("databases-relational", tmp_path / "a")
    second = package_skill("databases-relational", tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    names = zipfile.ZipFile(first).namelist()
    assert "databases-relational/SKILL.md" in names
    assert "databases-relational/decision-tree.yaml" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_package_refuses_a_skill_that_is_not_built():
    with pytest.raises(PackageError, match="no skill folder"):
        package_skill("databases-graph", __import__("pathlib").Path("/tmp/unused"))
