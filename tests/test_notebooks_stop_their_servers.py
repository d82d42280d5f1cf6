"""The series whose issue promises it stop every server they start, and prove it.

A notebook of these series takes a `ServerWatch` before it starts anything and asserts
`watch.leftovers() == []` after the last cell that starts a server, a process or an engine
thread. nbval and papermill then run that assert in every execution, so a notebook that
leaves a port listening, a child process running or a thread alive fails the suite (what
`ServerWatch` detects is tested in test_serve.py). This test checks the notebooks keep
the pattern, so a new cell that starts a server cannot slip in after the check.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from backend_skills.paths import notebooks_dir

SERIES = ["06-model-serving"]
STARTS = re.compile(r"\bServedApp\(|\bGenerationEngine\(|\bsubprocess\.Popen\(|\.start\(\)")
WATCH = re.compile(r"^\s*watch\s*=\s*ServerWatch\(\)", re.MULTILINE)
CHECK = re.compile(r"assert\s+watch\.leftovers\(\)\s*==\s*\[\]")

NOTEBOOKS = sorted(path for series in SERIES for path in (notebooks_dir() / series).glob("*.ipynb"))


def code_cells(path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_server_a_notebook_starts_is_checked_stopped(path):
    cells = code_cells(path)
    starting = [index for index, source in enumerate(cells) if STARTS.search(source)]
    if not starting:
        return
    watches = [index for index, source in enumerate(cells) if WATCH.search(source)]
    checks = [index for index, source in enumerate(cells) if CHECK.search(source)]
    assert watches and watches[0] < starting[0], (
        f"{path.name}: take `watch = ServerWatch()` before the first cell that starts a server"
    )
    assert checks and checks[-1] > starting[-1], (
        f"{path.name}: assert `watch.leftovers() == []` after the last cell that starts one"
    )


def test_the_check_sees_a_server_started_after_it(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("watch = ServerWatch()"),
        nbformat.v4.new_code_cell("assert watch.leftovers() == []"),
        nbformat.v4.new_code_cell("served = ServedApp(app).start()"),
    ]
    path = tmp_path / "late.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(AssertionError, match="after the last cell"):
        test_every_server_a_notebook_starts_is_checked_stopped(path)


def test_the_series_have_notebooks():
    assert NOTEBOOKS, "no notebook found in " + ", ".join(SERIES)
