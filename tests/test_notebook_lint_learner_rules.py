"""Notebook lint's learner rules: each fires on its trap, and a clean notebook has none."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from backend_skills.estimates import estimate
from backend_skills.findings import Collector
from backend_skills.notebook_lint import lint_notebook
from backend_skills.widget_state import STATE_KEY, VIEW_MIME


def _clean(tmp_path: Path) -> tuple[nbformat.NotebookNode, Path]:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.metadata["backend_skills"] = {
        "second_parameters": {},
        "bad_parameters": {"X": 0},
        "bad_parameters_error": "X",
    }
    parameters = nbformat.v4.new_code_cell("X = 1", execution_count=1)
    parameters.metadata["tags"] = ["parameters"]
    exercise = nbformat.v4.new_code_cell(
        "# Exercise 1: double it\ndoubled = ...", execution_count=2
    )
    exercise.metadata["tags"] = ["exercise"]
    check = nbformat.v4.new_code_cell(
        "check_exercise(1, doubled, test=lambda d: d == 2 * X)", execution_count=3
    )
    check.outputs = [nbformat.v4.new_output("stream", text="Exercise 1: not tried yet. ...\n")]
    plot = nbformat.v4.new_code_cell("show_figure(fig)", execution_count=4)
    plot.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "application/vnd.plotly.v1+json": {
                    "data": [{"type": "bar", "x": [1], "y": [2]}],
                    "layout": {
                        "title": {"text": "Rows by size"},
                        "xaxis": {"title": {"text": "size"}},
                        "yaxis": {"title": {"text": "rows"}},
                    },
                }
            },
        )
    ]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Lesson\n\n**Time:** about 5 minutes."),
        parameters,
        exercise,
        check,
        plot,
    ]
    nb.cells[0].source = f"# Lesson\n\n**Time:** about {estimate(nb).minutes} minutes."
    path = tmp_path / "01-lesson.ipynb"
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "01-lesson.py").write_text(
        "# %% Exercise 1\n# Exercise 1: double it\ndoubled = 2 * X\n"
    )
    return nb, path


def _messages(nb, path) -> list[str]:
    nbformat.write(nb, path)
    out = Collector()
    lint_notebook(path, out)
    return [f.message for f in out.findings]


def test_a_clean_notebook_has_no_findings(tmp_path):
    assert _messages(*_clean(tmp_path)) == []


def _long_cell(nb, path):
    nb.cells[4].source = "\n".join(f"x{i} = {i}" for i in range(41))


def _long_cell_with_reason(nb, path):
    _long_cell(nb, path)
    nb.cells[4].source = "# Long cell: a table the learner scans, not reads\n" + nb.cells[4].source


def _solved(nb, path):
    nb.cells[2].source = "# Exercise 1: double it\ndoubled = 2 * X"


def _no_check(nb, path):
    nb.cells[3].source = "print(doubled)"


def _no_solution(nb, path):
    (path.parent / "solutions" / "01-lesson.py").write_text("# %% Exercise 2\nx = 1\n")


def _solution_in_notebook(nb, path):
    nb.cells.append(nbformat.v4.new_code_cell("# Exercise 1: double it\ndoubled = 2 * X"))
    nb.cells[-1].execution_count = 5


def _memory_address(nb, path):
    nb.cells[4].outputs = [
        nbformat.v4.new_output(
            "execute_result",
            data={"text/plain": "<pandas.io.formats.style.Styler at 0x7f3a2c1b9d90>"},
            execution_count=4,
        )
    ]


def _unshown_widgets(nb, path):
    nb.metadata["widgets"] = {STATE_KEY: {"state": {"a" * 32: {}, "b" * 32: {}}}}
    nb.cells[4].outputs.append(
        nbformat.v4.new_output("display_data", data={VIEW_MIME: {"model_id": "a" * 32}})
    )


def _untitled_plot(nb, path):
    nb.cells[4].outputs[0].data["application/vnd.plotly.v1+json"]["layout"] = {}


def _stale_estimate(nb, path):
    nb.cells[0].source = "# Lesson\n\n**Time:** about 90 minutes."


def _no_estimate(nb, path):
    nb.cells[0].source = "# Lesson"


def _unparsed_parameter(nb, path):
    nb.cells[1].source = "X = 1  # a whole number (0 <= X)"


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (_long_cell, "cell 4 has 41 code lines (at most 40)"),
        (_solved, "exercise 1 (cell 2) ships solved"),
        (_no_check, "exercise 1 (cell 2) has no check_exercise cell after it"),
        (_no_solution, "no '# %% Exercise 1' block"),
        (_solution_in_notebook, "the notebook contains exercise 1's solution"),
        (_memory_address, "shows a memory address (at 0x7f3a2c1b9d90)"),
        (_unshown_widgets, "stores 2 widget models, 1 of them not displayed"),
        (_untitled_plot, "plot lacks a title, a xaxis title, a yaxis title"),
        (_stale_estimate, "states 90 minutes; the course's rule gives"),
        (_no_estimate, "the first cell must state '**Time:** about N minutes'"),
        (_unparsed_parameter, "parameter X: papermill cannot parse its line"),
    ],
)
def test_each_learner_rule_fires(tmp_path, breakage: Callable, expected: str):
    nb, path = _clean(tmp_path)
    breakage(nb, path)
    messages = _messages(nb, path)
    assert any(expected in message for message in messages), messages


def test_a_long_cell_that_says_why_is_allowed(tmp_path):
    nb, path = _clean(tmp_path)
    _long_cell_with_reason(nb, path)
    assert not [m for m in _messages(nb, path) if "code lines" in m]
