"""Lint rules: each fires on a skill folder made to break it; the real course is clean."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from backend_skills.course_map import SkillPlan, load_course_map
from backend_skills.findings import Collector
from backend_skills.lint import lint, lint_skill_folder
from backend_skills.notebook_lint import lint_notebook
from backend_skills.paths import skills_dir

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
