"""The notebook runner behind `make course`: results, peak RSS, the offline guard, report."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from backend_skills.runner import execute, write_report

pytestmark = pytest.mark.notebook


def notebook(path: Path, *sources: str, parameters: str = "SIZE_MB = 1") -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, *(nbformat.v4.new_code_cell(s) for s in sources)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_measures_the_kernels_peak_rss_and_applies_parameters(tmp_path):
    source = notebook(
        tmp_path / "grow.ipynb",
        "block = bytearray(SIZE_MB * 1024 * 1024)\nblock[::4096] = b'x' * len(block[::4096])",
    )
    small = execute(source, tmp_path / "out" / "small.ipynb", {"SIZE_MB": 1})
    large = execute(source, tmp_path / "out" / "large.ipynb", {"SIZE_MB": 300})
    assert small.ok and large.ok, (small.error, large.error)
    assert large.peak_rss_mb - small.peak_rss_mb > 250  # the 300 MB the kernel touched
    assert small.peak_rss_mb > 20 and small.seconds > 0


def test_a_failing_cell_is_reported_with_its_error(tmp_path):
    source = notebook(
        tmp_path / "fail.ipynb",
        "from backend_skills.params import ParameterError\n"
        "raise ParameterError('SIZE_MB: too big')",
    )
    run = execute(source, tmp_path / "out" / "fail.ipynb")
    assert not run.ok and run.error_name == "ParameterError"
    assert run.error == "ParameterError: SIZE_MB: too big"
    stored = nbformat.read(tmp_path / "out" / "fail.ipynb", as_version=4)
    errors = [
        o
        for c in stored.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert [line for e in errors for line in e.traceback] == ["ParameterError: SIZE_MB: too big"]


def test_a_swallowed_connection_beyond_loopback_still_fails_the_run(tmp_path):
    source = notebook(
        tmp_path / "leak.ipynb",
        "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\n"
        "except OSError:\n    pass",
    )
    run = execute(source, tmp_path / "out" / "leak.ipynb")
    assert run.ok and not run.passed
    assert "192.0.2.1" in run.offline_violations[0]


def test_report_lists_each_notebook_and_the_totals(tmp_path):
    source = notebook(tmp_path / "ok.ipynb", "x = 1")
    runs = [execute(source, tmp_path / "out" / "ok.ipynb")]
    write_report(runs, tmp_path)
    report = (tmp_path / "report.md").read_text()
    assert "1 of 1 notebooks passed" in report and "| pass |" in report
    assert "**total**" in report and (tmp_path / "report.html").is_file()
