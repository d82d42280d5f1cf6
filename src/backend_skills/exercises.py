"""Exercises a learner solves, checked in the notebook, with solutions kept apart.

A notebook ships its exercises unsolved, so Run All never answers them for the learner:

- the exercise cell is a code cell tagged ``exercise``; its first line is
  ``# Exercise N: <title>`` and it assigns the learner's answers to names set to ``...``;
- the next cell checks them: ``check_exercise(N, answer, test=lambda answer: ...)``;
- the solution lives in ``solutions/<notebook stem>.py`` beside the notebook, in percent
  format: a line ``# %% Exercise N`` and the code that replaces the whole exercise cell.

Unsolved, a check says "not tried yet" and passes, so the rest of the notebook (the
flows, the widgets) still runs. A wrong answer raises one line that says what is off; a
right one prints "correct". CI injects the solutions (`with_solutions`) and sets
``BSL_EXERCISES=solved`` in the kernel, where an unsolved check fails too: so every
solution is proven to pass its check, and every check is proven to accept it.

Why this mechanism: the learner meets an empty cell and a check that answers them; the
solutions are plain Python a facilitator can read, diff and hand out (the LLMs-from-scratch
pattern of a solutions file per chapter); no notebook carries its answers; and CI proves
them in the runs it makes anyway (the second parameter set), at no extra cost.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nbformat costs 1.2 s to import (jsonschema's RFC 3987 grammar): every
    import nbformat  # lesson kernel imports this module for its checks, only CI needs nbformat

EXERCISE_TAG = "exercise"
SOLVED_ENV = "BSL_EXERCISES"
HEADER = re.compile(r"^# Exercise (\d+): \S")
SOLUTION_HEADER = re.compile(r"^# %% Exercise (\d+)\s*$", re.M)
NOT_TRIED = "not tried yet"
CORRECT = "correct."


class ExerciseNotRight(AssertionError):
    """A learner's answer that does not pass its check; shown as one line."""

    def _render_traceback_(self) -> list[str]:
        return [f"ExerciseNotRight: {self}"]


def check_exercise(
    number: int, *answers: object, test: Callable[..., object], hint: str = ""
) -> None:
    """Check exercise NUMBER's answers with TEST (a bool, or an AssertionError with a message)."""
    if any(answer is Ellipsis for answer in answers):
        if os.environ.get(SOLVED_ENV) == "solved":
            raise ExerciseNotRight(f"Exercise {number}: the solution left an answer as ...")
        print(
            f"Exercise {number}: {NOT_TRIED}. Replace each ... in the cell above, "
            "run it, then run this cell."
        )
        return
    try:
        passed = test(*answers)
    except AssertionError as exc:
        detail = str(exc) or hint
        raise ExerciseNotRight(f"Exercise {number}: not yet. {detail}".rstrip()) from None
    if passed is False:
        raise ExerciseNotRight(f"Exercise {number}: not yet. {hint}".rstrip())
    print(f"Exercise {number}: {CORRECT}")


def exercise_number(cell) -> int | None:
    """The N of an exercise cell (tagged and headed `# Exercise N: ...`), else None."""
    if cell.get("cell_type") != "code" or EXERCISE_TAG not in cell.get("metadata", {}).get(
        "tags", []
    ):
        return None
    source = "".join(cell.get("source", ""))
    match = HEADER.match(source)
    return int(match.group(1)) if match else None


def solutions_path(notebook: Path) -> Path:
    return notebook.parent / "solutions" / f"{notebook.stem}.py"


def read_solutions(path: Path) -> dict[int, str]:
    """Exercise number -> the code of its solution block."""
    text = path.read_text(encoding="utf-8")
    headers = list(SOLUTION_HEADER.finditer(text))
    solutions: dict[int, str] = {}
    for header, following in zip(headers, [*headers[1:], None], strict=True):
        end = following.start() if following else len(text)
        number = int(header.group(1))
        if number in solutions:
            raise ValueError(f"{path}: two solutions for exercise {number}")
        solutions[number] = text[header.end() : end].strip("\n") + "\n"
    return solutions


def with_solutions(notebook: Path) -> nbformat.NotebookNode:
    """The notebook with each exercise cell replaced by its solution (for CI's solved run)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    numbers = [n for n in map(exercise_number, nb.cells) if n is not None]
    if not numbers:
        return nb
    solutions = read_solutions(solutions_path(notebook))
    missing = sorted(set(numbers) - set(solutions))
    extra = sorted(set(solutions) - set(numbers))
    if missing or extra:
        raise ValueError(
            f"{notebook.name}: exercises without a solution {missing}, "
            f"solutions without an exercise {extra}"
        )
    for cell in nb.cells:
        number = exercise_number(cell)
        if number is not None:
            cell.source = solutions[number].rstrip("\n")
    return nb
