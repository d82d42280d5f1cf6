"""The grown-up path: the relational notebooks with DATABASE_URL on a real PostgreSQL.

The notebooks promise not to assume SQLite where the lesson is portable SQL; this runs
each one that takes DATABASE_URL against PostgreSQL 15+ on 127.0.0.1 to hold them to it.
"""

from __future__ import annotations

import pytest
from papermill.inspection import inspect_notebook

from backend_skills.paths import notebooks_dir
from backend_skills.runner import discover, execute, harness

pytestmark = pytest.mark.notebook
WITH_DATABASE_URL = [nb for nb in discover() if "DATABASE_URL" in inspect_notebook(str(nb))]


def test_the_relational_notebooks_take_a_database_url():
    assert len(WITH_DATABASE_URL) >= 5


@pytest.mark.parametrize(
    "path", WITH_DATABASE_URL, ids=lambda p: str(p.relative_to(notebooks_dir()))
)
def test_notebook_runs_on_postgresql(path, tmp_path, postgres_url):
    parameters = {**harness(path)["second_parameters"], "DATABASE_URL": postgres_url()}
    run = execute(path, tmp_path / path.name, parameters)
    assert run.passed, run.error
