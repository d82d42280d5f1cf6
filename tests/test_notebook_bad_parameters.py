"""Every notebook run with a bad parameter must stop in its validation cell with a one-line
ParameterError that names the parameter.

Only the cells up to the validation cell run (the first code cell after the parameters),
in one kernel per xdist worker: each notebook gets a fresh namespace and its own folder as
working directory, so a case sees nothing of the one before, and skips the kernel start
and the imports the first cells make.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from backend_skills.paths import notebooks_dir
from backend_skills.runner import CourseKernel, discover, harness, run_until_validated

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="session")
def shared_kernel(tmp_path_factory):
    kernel = CourseKernel(tmp_path_factory.mktemp("netguard"), notebooks_dir())
    yield kernel
    kernel.close()


@pytest.mark.parametrize("path", discover(), ids=lambda p: str(p.relative_to(notebooks_dir())))
def test_bad_parameters_fail_with_a_one_line_error(path: Path, tmp_path: Path, shared_kernel):
    spec = harness(path)
    run = run_until_validated(
        path, tmp_path / path.name, spec["bad_parameters"], kernel=shared_kernel
    )
    assert run.error_name == "ParameterError", run.error
    assert spec["bad_parameters_error"] in run.error
    assert not run.offline_violations, run.offline_violations
    stored = nbformat.read(tmp_path / path.name, as_version=4)
    tracebacks = [
        o.traceback
        for c in stored.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert len(tracebacks) == 1 and len(tracebacks[0]) == 1, tracebacks
