"""Exercises ship unsolved, checks answer the learner, and CI's solved run proves solutions."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from backend_skills.exercises import (
    ExerciseNotRight,
    check_exercise,
    read_solutions,
    solutions_path,
    with_solutions,
)


def test_an_unsolved_check_says_so_and_passes(capsys, monkeypatch):
    monkeypatch.delenv("BSL_EXERCISES", raising=False)
    check_exercise(1, ..., test=lambda answer: answer == 42)
    assert "Exercise 1: not tried yet" in capsys.readouterr().out


def test_an_unsolved_check_fails_in_the_solved_run(monkeypatch):
    monkeypatch.setenv("BSL_EXERCISES", "solved")
    with pytest.raises(ExerciseNotRight, match="left an answer as"):
        check_exercise(1, 42, ..., test=lambda a, b: True)


def test_a_right_answer_is_correct(capsys):
    check_exercise(2, 6, 7, test=lambda a, b: a * b == 42)
    assert capsys.readouterr().out.strip() == "Exercise 2: correct."


def test_a_wrong_answer_raises_one_line():
    with pytest.raises(ExerciseNotRight) as raised:
        check_exercise(3, 41, test=lambda answer: answer == 42, hint="think of Douglas Adams")
    expected = "Exercise 3: not yet. think of Douglas Adams"
    assert str(raised.value) == expected
    assert raised.value._render_traceback_() == [f"ExerciseNotRight: {expected}"]


def test_a_test_that_asserts_and_returns_nothing_passes(capsys):
    def test(answer):
        assert answer == 41

    check_exercise(3, 41, test=test)
    assert "correct" in capsys.readouterr().out


def test_an_assertion_message_is_the_hint():
    def test(answer):
        assert answer > 100, f"{answer} rows is too few: the table has more"

    with pytest.raises(ExerciseNotRight, match="41 rows is too few"):
        check_exercise(4, 41, test=test)


def _notebook(tmp_path: Path, exercise_source: str) -> Path:
    nb = nbformat.v4.new_notebook()
    exercise = nbformat.v4.new_code_cell(exercise_source)
    exercise.metadata["tags"] = ["exercise"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A lesson"),
        exercise,
        nbformat.v4.new_code_cell("check_exercise(1, answer, test=lambda a: a == 42)"),
    ]
    path = tmp_path / "01-lesson.ipynb"
    nbformat.write(nb, path)
    return path


def test_with_solutions_replaces_the_exercise_cell(tmp_path):
    path = _notebook(tmp_path, "# Exercise 1: the answer\nanswer = ...")
    solutions = solutions_path(path)
    solutions.parent.mkdir()
    solutions.write_text("# %% Exercise 1\n# Exercise 1: the answer\nanswer = 6 * 7\n")
    solved = with_solutions(path)
    assert solved.cells[1].source == "# Exercise 1: the answer\nanswer = 6 * 7"
    assert nbformat.read(path, as_version=4).cells[1].source.endswith("answer = ...")


def test_a_missing_or_extra_solution_is_an_error(tmp_path):
    path = _notebook(tmp_path, "# Exercise 1: the answer\nanswer = ...")
    solutions_path(path).parent.mkdir()
    solutions_path(path).write_text("# %% Exercise 2\nanswer = 42\n")
    with pytest.raises(ValueError, match=r"without a solution \[1\].*without an exercise \[2\]"):
        with_solutions(path)


def test_two_solutions_for_one_exercise_are_an_error(tmp_path):
    path = tmp_path / "s.py"
    path.write_text("# %% Exercise 1\na = 1\n# %% Exercise 1\na = 2\n")
    with pytest.raises(ValueError, match="two solutions for exercise 1"):
        read_solutions(path)
