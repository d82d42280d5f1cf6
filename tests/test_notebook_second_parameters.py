"""Papermill runs every notebook with the second parameter set it declares: it must pass.

(nbval re-runs each notebook with its defaults and compares stored outputs; the bad
parameter set is test_notebook_bad_parameters.py.) A notebook that takes DATABASE_URL
runs its second set on PostgreSQL instead, in test_notebooks_on_postgresql.py: that run
is its second set, so it is not run on SQLite as well. Both runs inject the exercises'
solutions (exercises.with_solutions) and set BSL_EXERCISES=solved, where a check fails
unless its exercise is solved right: every solution is proven against its check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_skills.exercises import SOLVED_ENV, with_solutions
from backend_skills.paths import notebooks_dir
from backend_skills.runner import discover, execute, harness, takes_database_url

pytestmark = pytest.mark.notebook
NOTEBOOKS = discover()
ON_SQLITE_ONLY = [path for path in NOTEBOOKS if not takes_database_url(path)]


def test_every_skill_notebook_folder_is_discovered():
    assert len(NOTEBOOKS) >= 7
    on_disk = sorted(notebooks_dir().glob("[0-9][0-9]-*/[0-9][0-9]-*.ipynb"))
    assert set(on_disk) <= set(NOTEBOOKS)


@pytest.mark.parametrize("path", ON_SQLITE_ONLY, ids=lambda p: str(p.relative_to(notebooks_dir())))
def test_second_parameter_set_passes(path: Path, tmp_path: Path):
    run = execute(
        path,
        tmp_path / path.name,
        harness(path)["second_parameters"],
        source=with_solutions(path),
        env={SOLVED_ENV: "solved"},
    )
    assert run.passed, run.error or run.offline_violations
