"""The grown-up path: the relational notebooks with DATABASE_URL on a real PostgreSQL.

The notebooks promise not to assume SQLite where the lesson is portable SQL; this runs
each one that takes DATABASE_URL against PostgreSQL 15+ on 127.0.0.1 to hold them to it.
This run is also the notebook's second parameter set (test_notebook_second_parameters.py
leaves these notebooks out), so on a machine without PostgreSQL the second set runs on
SQLite instead and says so, rather than not at all. Like every second-set run, it runs
with the exercises' solutions in and BSL_EXERCISES=solved.
"""

from __future__ import annotations

import warnings

import pytest

from backend_skills.exercises import SOLVED_ENV, with_solutions
from backend_skills.paths import notebooks_dir
from backend_skills.runner import discover, execute, harness, takes_database_url

pytestmark = pytest.mark.notebook
WITH_DATABASE_URL = [path for path in discover() if takes_database_url(path)]


def test_the_relational_notebooks_take_a_database_url():
    assert len(WITH_DATABASE_URL) >= 5


@pytest.mark.parametrize(
    "path", WITH_DATABASE_URL, ids=lambda p: str(p.relative_to(notebooks_dir()))
)
def test_notebook_runs_on_postgresql(path, tmp_path, postgres_server):
    parameters = dict(harness(path)["second_parameters"])
    if postgres_server is None:
        warnings.warn("no PostgreSQL here: the second parameter set ran on SQLite", stacklevel=1)
    else:
        parameters["DATABASE_URL"] = postgres_server()
    run = execute(
        path,
        tmp_path / path.name,
        parameters,
        source=with_solutions(path),
        env={SOLVED_ENV: "solved"},
    )
    assert run.passed, run.error or run.offline_violations
