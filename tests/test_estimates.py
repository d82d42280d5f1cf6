"""The time estimate follows its stated rule and is kept in step where it is shown."""

from __future__ import annotations

import nbformat
import pytest

from backend_skills.estimates import (
    Estimate,
    estimate,
    stated_minutes,
    totals_in_step,
    totals_markdown,
    write_stated_minutes,
    write_totals,
)


@pytest.mark.parametrize(
    "figure, minutes",
    [
        (Estimate(words=0, code_lines=0, exercises=0), 5),
        (Estimate(words=1500, code_lines=0, exercises=0), 10),  # 10 minutes of prose
        (Estimate(words=1500, code_lines=120, exercises=1), 25),  # 10 + 10 + 5
        (Estimate(words=1501, code_lines=120, exercises=1), 30),  # rounds up
    ],
)
def test_the_rule(figure, minutes):
    assert figure.minutes == minutes


def _lesson(path, stated: int = 5):
    nb = nbformat.v4.new_notebook()
    shown = nbformat.v4.new_code_cell("show_source('app.py')")
    shown.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/markdown": "..."},
            metadata={"backend_skills": {"shown_lines": 24}},
        )
    ]
    exercise = nbformat.v4.new_code_cell("# Exercise 1: x\nx = ...")
    exercise.metadata["tags"] = ["exercise"]
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# Lesson\n\n**Time:** about {stated} minutes."),
        nbformat.v4.new_code_cell("a = 1\n\nb = 2\n"),
        shown,
        exercise,
    ]
    nbformat.write(nb, path)
    return path


def test_estimate_counts_prose_code_shown_lines_and_exercises(tmp_path):
    nb = nbformat.read(_lesson(tmp_path / "01-a.ipynb"), as_version=4)
    figure = estimate(nb)
    assert (figure.words, figure.code_lines, figure.exercises) == (5, 2 + 1 + 24 + 2, 1)


def test_write_puts_the_computed_figure_in_the_first_cell(tmp_path):
    path = _lesson(tmp_path / "01-a.ipynb", stated=90)
    assert write_stated_minutes(path) is True
    nb = nbformat.read(path, as_version=4)
    assert stated_minutes(nb) == estimate(nb).minutes == 10
    assert write_stated_minutes(path) is False


def test_totals_are_written_and_checked(tmp_path):
    series = {"01-x": [_lesson(tmp_path / "01-a.ipynb"), _lesson(tmp_path / "02-b.ipynb")]}
    start = nbformat.v4.new_notebook()
    totals = nbformat.v4.new_markdown_cell("stale")
    totals.metadata["tags"] = ["course-estimates"]
    start.cells = [totals]
    start_here, readme = tmp_path / "00-start-here.ipynb", tmp_path / "README.md"
    nbformat.write(start, start_here)
    readme.write_text("# Course\n<!-- estimates -->\nstale\n<!-- /estimates -->\nend\n")
    assert len(totals_in_step(series, start_here, readme)) == 2
    assert write_totals(series, start_here, readme) == [start_here, readme]
    assert totals_in_step(series, start_here, readme) == []
    assert "| 01-x | 2 | 20 min |" in totals_markdown(series)
    assert readme.read_text().endswith("<!-- /estimates -->\nend\n")
