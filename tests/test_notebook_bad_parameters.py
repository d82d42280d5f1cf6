"""Papermill runs every notebook with a bad parameter: it must stop in the validation cell
with a one-line ParameterError that names the parameter."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from backend_skills.paths import notebooks_dir
from backend_skills.runner import discover, execute, harness

pytestmark = pytest.mark.notebook


@pytest.mark.parametrize("path", discover(), ids=lambda p: str(p.relative_to(notebooks_dir())))
def test_bad_parameters_fail_with_a_one_line_error(path: Path, tmp_path: Path):
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
