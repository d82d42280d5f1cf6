"""Papermill runs of every notebook: a second parameter set passes, a bad one fails cleanly.

(nbval re-runs each notebook with its defaults and compares stored outputs; see conftest.)
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from backend_skills.course import discover, execute
from backend_skills.paths import repo_root

pytestmark = pytest.mark.notebook
NOTEBOOKS = discover()


def harness(path: Path) -> dict:
    return json.loads(path.read_text())["metadata"]["backend_skills"]


def ids(path: Path) -> str:
    return str(path.relative_to(repo_root() / "notebooks"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 7


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_second_parameter_set_passes(path, tmp_path):
    run = execute(path, tmp_path / path.name, harness(path)["second_parameters"])
    assert run.passed, run.error or run.offline_violations


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_bad_parameters_fail_with_a_one_line_error(path, tmp_path):
    spec = harness(path)
    run = execute(path, tmp_path / path.name, spec["bad_parameters"])
    assert run.error_name == "ParameterError", run.error
    assert spec["bad_parameters_error"] in run.error
    stored = nbformat.read(tmp_path / path.name, as_version=4)
    tracebacks = [
        o.traceback
        for c in stored.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert len(tracebacks) == 1 and len(tracebacks[0]) == 1, tracebacks
