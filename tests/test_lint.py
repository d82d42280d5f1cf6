"""Lint rules: each fires on a skill folder made to break it; the real course is clean."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from backend_skills.course_map import SkillPlan, load_course_map
from backend_skills.findings import Collector
from backend_skills.lint import (
    _check_readme_course_map,
    _check_unknown_skill_folders,
    lint,
    lint_skill_folder,
)
from backend_skills.notebook_lint import lint_notebook
from backend_skills.paths import repo_root, skills_dir

REAL = skills_dir() / "databases-relational"


@pytest.fixture
def skill(tmp_path) -> Path:
    """A copy of the reference skill, to break one rule at a time."""
    folder = tmp_path / "skills" / "databases-relational"
    shutil.copytree(REAL, folder, ignore=shutil.ignore_patterns("node_modules", "__pycache__"))
    (tmp_path / "notebooks").symlink_to(skills_dir().parent / "notebooks")
    return folder


def findings(folder: Path) -> list[str]:
    out = Collector()
    plan = load_course_map().skill("databases-relational")
    lint_skill_folder(folder, out, SkillPlan(**{**plan.__dict__}))
    return [str(f) for f in out.findings if f.severity == "error"]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_the_copy_is_clean(skill):
    assert findings(skill) == []


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (
            lambda s: edit(
                s / "SKILL.md", "name: databases-relational", "name: Databases_Relational"
            ),
            "must equal the folder name",
        ),
        (
            lambda s: edit(s / "SKILL.md", "---\n", "---\nversion: 1\n"),
            "key(s) not allowed: version",
        ),
        (lambda s: edit(s / "SKILL.md", "description: ", "description: Uses <b> "), "< or >"),
        (
            lambda s: edit(s / "SKILL.md", "## ", "See [gone](references/gone.md).\n\n## "),
            "cites 'references/gone.md'",
        ),
        (
            lambda s: (s / "SKILL.md").write_text((s / "SKILL.md").read_text() + "line\n" * 500),
            "body has",
        ),
        (
            lambda s: edit(s / "SKILL.md", "└─ SQLModel", "└─ SQLModal"),
            "decision-tree block differs",
        ),
        (lambda s: edit(s / "decision-tree.yaml", "why:", "colour: red\n    why:"), "unknown key"),
        (lambda s: (s / "references" / "mysql.md").unlink(), "references/mysql.md: error: missing"),
        (
            lambda s: (s / "references" / "mysql.md").write_text("# MySQL\n\nTODO\n"),
            "looks like a stub",
        ),
        (
            lambda s: edit(s / "references" / "sqlite.md", "## Contents", "## Overview"),
            "no table of contents",
        ),
        (
            lambda s: (s / "scripts" / "validate_schema.py").write_text(
                (s / "scripts" / "validate_schema.py").read_text() + "\nimport backend_skills\n"
            ),
            "imports backend_skills",
        ),
        (lambda s: shutil.rmtree(s / "examples" / "python-sqlalchemy" / "tests"), "has no tests"),
    ],
)
def test_each_rule_fires(skill, breakage, expected):
    breakage(skill)
    found = findings(skill)
    assert any(expected in f for f in found), found


def test_pending_items_are_warnings_not_errors():
    warnings = [f for f in lint(["databases-relational"]) if f.severity == "warning"]
    assert any("rust-sqlx" in f.path and "pending" in f.message for f in warnings)


def test_notebook_rules(tmp_path):
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 2,
                "metadata": {"tags": ["parameters"]},
                "outputs": [],
                "source": "X = 1",
            },
            {
                "cell_type": "code",
                "execution_count": 1,
                "metadata": {"tags": ["parameters"]},
                "outputs": [
                    {"output_type": "error", "ename": "ValueError", "evalue": "", "traceback": []}
                ],
                "source": "Y = 2",
            },
        ],
        "metadata": {"kernelspec": {"name": "other"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "bad.ipynb"
    path.write_text(json.dumps(notebook))
    out = Collector()
    lint_notebook(path, out)
    text = "\n".join(str(f) for f in out.findings)
    for expected in [
        "kernelspec 'other'",
        "2 cells tagged 'parameters'",
        "one top-to-bottom run",
        "stored output has an error",
        "lacks second_parameters",
    ]:
        assert expected in text


def test_the_course_lints_clean():
    errors = [str(f) for f in lint() if f.severity == "error"]
    assert errors == []


@pytest.mark.parametrize("skill", [p.name for p in load_course_map().skills.values() if p.present])
def test_agentskills_reference_validator_passes(skill):
    validator = shutil.which("agentskills") or str(
        Path(__import__("sys").executable).parent / "agentskills"
    )
    result = subprocess.run(
        [validator, "validate", str(skills_dir() / skill)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------- contributor traps


@pytest.fixture
def course(tmp_path, monkeypatch) -> Path:
    """A copy of the whole checkout's skills, notebooks and README that repo_root() resolves to."""
    root = skills_dir().parent
    ignore = shutil.ignore_patterns("node_modules", "__pycache__")
    for name in ("skills", "notebooks"):
        shutil.copytree(root / name, tmp_path / name, ignore=ignore)
    shutil.copy(root / "README.md", tmp_path / "README.md")
    monkeypatch.setenv("BACKEND_SKILLS_ROOT", str(tmp_path))
    repo_root.cache_clear()
    yield tmp_path
    repo_root.cache_clear()


def errors_for(skill: str) -> list[str]:
    return [str(f) for f in lint([skill]) if f.severity == "error"]


def test_a_skill_folder_without_its_notebook_series_is_an_error(course):
    shutil.rmtree(course / "notebooks" / "03-auth-security")
    found = errors_for("auth-security")
    assert any(
        f.startswith("notebooks/03-auth-security: error: the skill has no notebook series")
        for f in found
    ), found


def test_a_folder_course_yaml_does_not_know_is_an_error(course):
    shutil.copytree(course / "skills" / "auth-security", course / "skills" / "auth-securty")
    out = Collector()
    _check_unknown_skill_folders(load_course_map().skills, out)
    assert [str(f) for f in out.findings] == [
        "skills/auth-securty: error: not a skill of course.yaml, so nothing checks it "
        "(a copied folder? backend-skills new SKILL starts one from the course map)"
    ]


def test_two_examples_with_one_package_name_are_an_error(course):
    """The trap that ran 152 tests against the wrong copy: a copied example keeps its package."""
    examples = course / "skills" / "auth-security" / "examples"
    shutil.copytree(examples / "passwords-argon2", examples / "passwords-copy")
    found = errors_for("auth-security")
    for example in ("passwords-argon2", "passwords-copy"):
        assert any(
            f.startswith(
                f"skills/auth-security/examples/{example}: error: import name "
                "'password_login' is also used by another example"
            )
            for f in found
        ), found


def test_two_examples_with_one_top_level_module_are_an_error(course):
    examples = course / "skills" / "auth-security" / "examples"
    for number, example in enumerate(("passwords-argon2", "oauth2-pkce")):
        (examples / example / "helpers.py").write_text(f"X = {number}\n")
    found = errors_for("auth-security")
    assert sum("import name 'helpers'" in f for f in found) == 2, found
    # app.py, contract.py and conftest.py are in every example and load by unique names.
    assert not any(
        f"import name '{n}'" in f for n in ("app", "contract", "conftest") for f in found
    )
    # Byte-identical copies (a shared file, see example_copies) shadow harmlessly.
    (examples / "oauth2-pkce" / "helpers.py").write_text("X = 0\n")
    assert not any("import name 'helpers'" in f for f in errors_for("auth-security"))


def test_two_examples_with_one_test_file_name_are_an_error(course):
    examples = course / "skills"
    for example in (
        "auth-security/examples/passwords-argon2",
        "api-patterns/examples/python-fastapi",
    ):
        (examples / example / "tests" / "test_api.py").write_text("def test_x():\n    pass\n")
    found = errors_for("auth-security")
    assert any(
        f.startswith(
            "skills/api-patterns/examples/python-fastapi/tests/test_api.py: error: "
            "test file name 'test_api.py' is used by 2 examples"
        )
        for f in found
    ), found


def test_importing_conftest_is_an_error(skill):
    tests = skill / "examples" / "python-sqlalchemy" / "tests"
    (tests / "test_shop_db_shared.py").write_text("from conftest import engine  # noqa\n")
    assert any("imports conftest (line 1)" in f for f in findings(skill))


def test_a_reference_or_example_nobody_names_is_an_error(skill):
    extra = skill / "references" / "cockroachdb.md"
    extra.write_text((skill / "references" / "mysql.md").read_text())
    (skill / "examples" / "python-copy").mkdir()
    found = findings(skill)
    assert any("references/cockroachdb.md: error: neither the seed" in f for f in found), found
    assert any("examples/python-copy: error: neither the seed" in f for f in found), found
    # SKILL.md naming them is enough: the skill's own plan may go beyond the seed.
    edit(
        skill / "SKILL.md",
        "## ",
        "See [cockroachdb.md](references/cockroachdb.md) for distributed SQL, and "
        "`examples/python-copy`.\n\n## ",
    )
    assert not any("neither the seed" in f for f in findings(skill))


def readme_errors() -> list[str]:
    out = Collector()
    _check_readme_course_map(load_course_map(), out)
    return [str(f) for f in out.findings]


def test_the_readme_course_map_matches_course_yaml(course):
    assert readme_errors() == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("| 03 | auth-security |", "| 04 | auth-security |", "row differs"),
        ("| 02 | api-patterns | 1 Core", "| 02 | api-patterns | 2 Core", "row differs"),
        (
            "| 12 | databases-graph | 4 Specialized | planned | planned |",
            "| 12 | databases-graph | 4 Specialized | [skills/databases-graph]"
            "(skills/databases-graph/SKILL.md) | planned |",
            "row differs",
        ),
        (
            "[03-auth-security](notebooks/03-auth-security) |",
            "planned |",
            "row differs",
        ),
        ("| 08 | message-queues | 3 Advanced | planned | planned |\n", "", "no row for"),
        ("| 13 | capstones |", "| 13 | capstone |", "'capstone' is not a skill"),
    ],
)
def test_a_readme_course_map_row_out_of_step_is_an_error(course, old, new, expected):
    edit(course / "README.md", old, new)
    found = readme_errors()
    assert any(f.startswith("README.md: error: ") and expected in f for f in found), found


def test_the_readme_row_follows_the_folders_on_disk(course):
    shutil.rmtree(course / "notebooks" / "03-auth-security")
    assert any("auth-security | 1 Core infrastructure" in f for f in readme_errors())


def test_pending_skeletons_are_warnings_and_written_ones_say_so(skill):
    real = load_course_map().skill("databases-relational")
    plan = dataclasses.replace(
        real,
        pending=(
            *real.pending,
            "references/mysql.md",
            "references/sqlite.md",
            "SKILL.md",
            "decision-tree.yaml",
        ),
    )
    (skill / "references" / "mysql.md").write_text("# MySQL\n\nTODO\n")
    edit(skill / "SKILL.md", "## ", "TODO: say when to load each reference.\n\n## ")
    out = Collector()
    lint_skill_folder(skill, out, plan)
    found = [f"{Path(f.path).name}: {f.severity}: {f.message}" for f in out.findings]
    assert not [f for f in found if ": error: " in f], found
    assert "mysql.md: warning: pending: looks like a stub: 2 non-blank lines (want >= 60)" in found
    assert "sqlite.md: warning: written: take it off the skill's pending list in course.yaml" in (
        found
    )
    assert "SKILL.md: warning: pending: looks like a stub: contains 'TODO'" in found
    assert (
        "decision-tree.yaml: warning: written: take it off the skill's pending list in course.yaml"
    ) in found
    # Not pending, the same stubs are errors.
    out = Collector()
    lint_skill_folder(skill, out, real)
    assert {Path(f.path).name for f in out.findings if f.severity == "error"} == {
        "mysql.md",
        "SKILL.md",
    }
