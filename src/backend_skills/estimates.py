"""How long a notebook takes a learner, by one stated rule, kept in step everywhere it is shown.

The rule (RULE below, also printed by `backend-skills estimate`): prose is read at 150
words a minute; code, in cells and in the lesson-file parts a notebook shows, is read and
run at 12 non-blank lines a minute; each exercise adds 5 minutes. The sum is rounded up to
the next 5 minutes. Calibrated on the first three series: at these rates their 22
notebooks come to about twenty hours, the figure a reviewer who worked through them gave.

Where the figures are shown, and kept in step by `backend-skills estimate --write` (lint
fails when they drift):
- each notebook's first cell: ``**Time:** about N minutes``;
- 00-start-here's cell tagged ``course-estimates`` and README.md's block between
  ``<!-- estimates -->`` and ``<!-- /estimates -->``: each series' total and the course's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from backend_skills.exercises import exercise_number

WORDS_PER_MINUTE = 150
CODE_LINES_PER_MINUTE = 12
MINUTES_PER_EXERCISE = 5
RULE = (
    f"prose at {WORDS_PER_MINUTE} words a minute, code (in cells and in the lesson-file "
    f"parts a notebook shows) at {CODE_LINES_PER_MINUTE} non-blank lines a minute, "
    f"{MINUTES_PER_EXERCISE} minutes an exercise, rounded up to the next 5 minutes"
)
STATED = re.compile(r"\*\*Time:\*\* about (\d+) minutes")
TOTALS_TAG = "course-estimates"
README_START, README_END = "<!-- estimates -->", "<!-- /estimates -->"


@dataclass(frozen=True)
class Estimate:
    words: int
    code_lines: int
    exercises: int

    @property
    def minutes(self) -> int:
        raw = (
            self.words / WORDS_PER_MINUTE
            + self.code_lines / CODE_LINES_PER_MINUTE
            + self.exercises * MINUTES_PER_EXERCISE
        )
        return max(5, 5 * math.ceil(raw / 5))


def estimate(nb: nbformat.NotebookNode) -> Estimate:
    words = code = exercises = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown" and TOTALS_TAG not in cell.metadata.get("tags", []):
            words += len(re.findall(r"\w+", cell.source))
        elif cell.cell_type == "code":
            code += sum(1 for line in cell.source.splitlines() if line.strip())
            exercises += exercise_number(cell) is not None
            for output in cell.get("outputs", []):
                shown = output.get("metadata", {}).get("backend_skills", {}).get("shown_lines")
                code += int(shown or 0)
    return Estimate(words, code, exercises)


def stated_minutes(nb: nbformat.NotebookNode) -> int | None:
    """The N of the first cell's ``**Time:** about N minutes``, or None."""
    if not nb.cells:
        return None
    match = STATED.search(nb.cells[0].source)
    return int(match.group(1)) if match else None


def write_stated_minutes(path: Path) -> bool:
    """Put the computed figure in the notebook's first cell; True when it changed."""
    nb = nbformat.read(path, as_version=4)
    minutes = estimate(nb).minutes
    first = nb.cells[0]
    if not STATED.search(first.source):
        raise ValueError(f"{path}: the first cell has no '**Time:** about N minutes'")
    updated = STATED.sub(f"**Time:** about {minutes} minutes", first.source, count=1)
    if updated == first.source:
        return False
    first.source = updated
    nbformat.write(nb, path)
    return True


def format_minutes(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


def totals_markdown(series: dict[str, list[Path]]) -> str:
    """The table of each series' total and the course's, as 00-start-here and README show it."""
    rows, course = [], 0
    for name, notebooks in series.items():
        minutes = sum(estimate(nbformat.read(p, as_version=4)).minutes for p in notebooks)
        course += minutes
        rows.append(f"| {name} | {len(notebooks)} | {format_minutes(minutes)} |")
    return "\n".join(
        [
            "| series | notebooks | time (estimated) |",
            "|---|---|---|",
            *rows,
            f"| **the course** | {sum(len(v) for v in series.values())} | "
            f"**{format_minutes(course)}** |",
            "",
            f"Estimated by one rule: {RULE}.",
        ]
    )


def series_of(notebooks: list[Path]) -> dict[str, list[Path]]:
    """Group notebooks by series folder (00-start-here is a series of its own)."""
    series: dict[str, list[Path]] = {}
    for path in notebooks:
        name = path.stem if path.parent.name == "notebooks" else path.parent.name
        series.setdefault(name, []).append(path)
    return series


def write_totals(series: dict[str, list[Path]], start_here: Path, readme: Path) -> list[Path]:
    """Rewrite the totals in 00-start-here's tagged cell and README's block; the changed files."""
    table = totals_markdown(series)
    changed = []
    nb = nbformat.read(start_here, as_version=4)
    cells = [c for c in nb.cells if TOTALS_TAG in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"{start_here}: want one markdown cell tagged {TOTALS_TAG!r}")
    if cells[0].source != table:
        cells[0].source = table
        nbformat.write(nb, start_here)
        changed.append(start_here)
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{readme}: no {README_START} ... {README_END} block")
    updated = text[: start + len(README_START)] + "\n" + table + "\n" + text[end:]
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
        changed.append(readme)
    return changed


def totals_in_step(series: dict[str, list[Path]], start_here: Path, readme: Path) -> list[str]:
    """What disagrees with the computed totals (empty when both are in step)."""
    table, problems = totals_markdown(series), []
    nb = nbformat.read(start_here, as_version=4)
    cells = [c.source for c in nb.cells if TOTALS_TAG in c.metadata.get("tags", [])]
    if cells != [table]:
        problems.append(f"{start_here.name}: the {TOTALS_TAG!r} cell is out of step")
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or text[start + len(README_START) : end].strip() != table.strip():
        problems.append(f"{readme.name}: the {README_START} block is out of step")
    return problems
