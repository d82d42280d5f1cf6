"""The notebook runner behind `make course`: results, peak RSS, the offline guard, report."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from backend_skills.runner import (
    CourseKernel,
    check_parameters,
    execute,
    run_until_validated,
    write_report,
)

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


def test_runs_a_given_notebook_with_its_cwd_and_kernel_environment(tmp_path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "lesson_file.py").write_text("ANSWER = 42\n")
    source = notebook(tmp_path / "on-disk.ipynb", "raise RuntimeError('the file ran')")
    in_memory = nbformat.read(source, as_version=4)
    in_memory.cells[1].source = (
        "import os, lesson_file\n"
        "assert lesson_file.ANSWER == 42 and os.environ['BSL_TEST'] == 'solved'\n"
        "print(os.getpid())"
    )
    run = execute(
        source,
        tmp_path / "out" / "given.ipynb",
        source=in_memory,
        cwd=lessons,
        env={"BSL_TEST": "solved"},
    )
    assert run.passed, run.error
    assert run.notebook.endswith("on-disk.ipynb")  # the report names the notebook
    stored = nbformat.read(tmp_path / "out" / "given.ipynb", as_version=4)
    kernel_pid = int(stored.cells[-1].outputs[0].text)
    with pytest.raises(ProcessLookupError):  # the kernel is shut down and reaped
        os.kill(kernel_pid, 0)
    assert "BSL_TEST" not in os.environ  # the environment was the kernel's, not ours


def test_validation_stops_at_the_first_cell_reading_a_parameter(tmp_path):
    source = notebook(
        tmp_path / "checked.ipynb",
        "import json",
        "from backend_skills.params import integer\n"
        "SIZE_MB = integer('SIZE_MB', SIZE_MB, minimum=1, maximum=9)",
        "raise RuntimeError('a cell after validation ran')",
    )
    good = run_until_validated(source, tmp_path / "out" / "good.ipynb", {"SIZE_MB": 2})
    assert good.ok, good.error
    cells = nbformat.read(tmp_path / "out" / "good.ipynb", as_version=4).cells
    assert "integer(" in cells[-1].source and len(cells) == 4  # + papermill's injected cell
    bad = run_until_validated(source, tmp_path / "out" / "bad.ipynb", {"SIZE_MB": 0})
    assert bad.error_name == "ParameterError" and "SIZE_MB" in bad.error


def test_a_shared_kernel_gives_each_notebook_a_fresh_namespace_and_its_own_cwd(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    leaves = notebook(first / "leaves.ipynb", "left_behind = SIZE_MB")
    checks = notebook(
        second / "checks.ipynb",
        "import os\nassert 'left_behind' not in globals(), 'namespace not fresh'\n"
        f"assert os.getcwd() == {str(second.resolve())!r}, os.getcwd()\n"
        "raise ValueError(f'saw SIZE_MB={SIZE_MB}')",
    )
    kernel = CourseKernel(tmp_path / "guard", tmp_path)
    try:
        assert run_until_validated(leaves, tmp_path / "o1.ipynb", {"SIZE_MB": 3}, kernel=kernel).ok
        run = run_until_validated(checks, tmp_path / "o2.ipynb", {"SIZE_MB": 4}, kernel=kernel)
    finally:
        assert kernel.close() > 20  # its peak RSS, read before shutdown
    assert run.error == "ValueError: saw SIZE_MB=4", run.error


def test_checking_parameters_stops_at_the_first_notebook_that_rejects_one(tmp_path):
    for folder in "abc":
        (tmp_path / folder).mkdir()
    validate = (
        "from backend_skills.params import integer\n"
        "SIZE_MB = integer('SIZE_MB', SIZE_MB, minimum=1, maximum=9)"
    )
    first = notebook(tmp_path / "a" / "first.ipynb", validate, "raise RuntimeError('ran on')")
    other = notebook(tmp_path / "b" / "other.ipynb", "x = 1", parameters="OTHER = 1")
    last = notebook(tmp_path / "c" / "last.ipynb", validate)
    build = tmp_path / "build"
    good = check_parameters([first, other, last], build, {"SIZE_MB": 2})
    assert [run.ok for run in good] == [True, True]  # other.ipynb declares no SIZE_MB
    bad = check_parameters([first, other, last], build, {"SIZE_MB": 0})
    assert len(bad) == 1 and bad[0].error_name == "ParameterError"
    assert "SIZE_MB" in bad[0].error


def test_the_kernel_talks_over_unix_sockets_so_no_port_race_can_kill_it(tmp_path):
    # Over TCP, jupyter_client picks each channel's port by binding and releasing it; in a
    # parallel suite a notebook's server could take one first and the kernel died at start.
    kernel = CourseKernel(tmp_path / "guard", tmp_path)
    try:
        ran = run_until_validated(
            notebook(tmp_path / "n.ipynb", "assert SIZE_MB == 2"),
            tmp_path / "o.ipynb",
            {"SIZE_MB": 2},
            kernel=kernel,
        )
        assert ran.ok, ran.error
        info = kernel.manager.get_connection_info()
        assert info["transport"] == "ipc", info["transport"]
        names = ("shell", "iopub", "stdin", "control", "hb")
        channels = [f"{info['ip']}-{info[f'{name}_port']}" for name in names]
        assert all(Path(path).is_socket() for path in channels), channels
        assert max(len(path.encode()) for path in channels) <= 107  # sun_path's limit
    finally:
        kernel.close()
    assert not any(Path(path).exists() for path in channels)  # its socket folder removed


def test_nbval_starts_its_kernels_on_unix_sockets_too():
    import nbval.kernel

    from backend_skills.unix_socket_kernel import UnixSocketKernelManager

    assert nbval.kernel.KernelManager is UnixSocketKernelManager  # set by conftest.py
