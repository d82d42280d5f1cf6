"""The course's rules for a notebook.

Structure: one `parameters` cell, kernel python3, stored outputs from one top-to-bottom run
without errors, the parameter sets the test harness runs. For the learner: the first
cell's time estimate is the course rule's (estimates.py); no code cell over 40 lines
unless it says why; exercises ship unsolved, each with its check and its solution apart
(exercises.py); no memory address in stored text; no stored widget state that no output
displays (widget_state.py); every plot has a title and labelled axes.
"""

from __future__ import annotations

import ast
import copy
import json
import logging
import re
from pathlib import Path

import nbformat

from backend_skills.estimates import estimate, series_of, stated_minutes, totals_in_step
from backend_skills.exercises import (
    EXERCISE_TAG,
    NOT_TRIED,
    exercise_number,
    read_solutions,
    solutions_path,
)
from backend_skills.findings import Collector
from backend_skills.paths import notebooks_dir, repo_root
from backend_skills.widget_state import prune, stored_state

NOTEBOOK_HARNESS_KEYS = ("second_parameters", "bad_parameters", "bad_parameters_error")
MAX_CODE_CELL_LINES = 40
LONG_CELL_REASON = "# Long cell:"
MEMORY_ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]{6,}")
PLOTLY_MIME = "application/vnd.plotly.v1+json"
# Trace types drawn on x/y axes, whose axes need titles.
CARTESIAN = {"scatter", "scattergl", "bar", "histogram", "box", "violin", "heatmap", "line"}


def lint_notebook(path: Path, out: Collector) -> None:
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        out.error(path, f"not a readable notebook ({exc.__class__.__name__})")
        return
    kernel = notebook.get("metadata", {}).get("kernelspec", {}).get("name")
    if kernel != "python3":
        out.error(path, f"kernelspec {kernel!r} (want 'python3')")
    code = [cell for cell in notebook.get("cells", []) if cell.get("cell_type") == "code"]
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        out.error(path, f"{len(tagged)} cells tagged 'parameters' (want exactly 1)")
    else:
        _check_parameters_parse(nbformat.from_dict(tagged[0]), path, out)
    counts = [cell.get("execution_count") for cell in code]
    if counts != list(range(1, len(code) + 1)):
        out.error(path, "stored outputs are not from one top-to-bottom run (run make execute)")
    for cell in code:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                out.error(path, f"stored output has an error ({output.get('ename')})")
    harness = notebook.get("metadata", {}).get("backend_skills", {})
    missing = [key for key in NOTEBOOK_HARNESS_KEYS if key not in harness]
    if missing:
        out.error(
            path,
            f"metadata.backend_skills lacks {', '.join(missing)} (the papermill "
            "runs need a second and a bad parameter set)",
        )
    nb = nbformat.reads(json.dumps(notebook), as_version=4)
    _check_time_estimate(nb, path, out)
    _check_cell_sizes(nb, path, out)
    _check_exercises(nb, path, out)
    _check_stored_outputs(nb, path, out)
    _check_plots(nb, path, out)


def _check_parameters_parse(cell: nbformat.NotebookNode, path: Path, out: Collector) -> None:
    """Every parameter is one papermill reads: it skips a line it cannot parse (an `=` in
    the comment, say) with a warning in every run, and lists no such parameter."""
    from papermill.translators import PythonTranslator

    source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
    cell = nbformat.v4.new_code_cell(source)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return  # the stored run's error reports it
    assigned = [
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    ]
    papermill_logger = logging.getLogger("papermill")
    level, papermill_logger.level = papermill_logger.level, logging.ERROR
    try:
        read = {parameter.name for parameter in PythonTranslator.inspect(cell)}
    finally:
        papermill_logger.setLevel(level)
    for name in assigned:
        if name not in read:
            out.error(
                path, f"parameter {name}: papermill cannot parse its line (an '=' in its comment?)"
            )


def _check_time_estimate(nb: nbformat.NotebookNode, path: Path, out: Collector) -> None:
    report = out.error
    stated, computed = stated_minutes(nb), estimate(nb).minutes
    if stated is None:
        report(path, "the first cell must state '**Time:** about N minutes'")
    elif stated != computed:
        report(
            path,
            f"states {stated} minutes; the course's rule gives {computed} "
            "(run: backend-skills estimate --write)",
        )


def _check_cell_sizes(nb: nbformat.NotebookNode, path: Path, out: Collector) -> None:
    report = out.error
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        lines = [line for line in cell.source.splitlines() if line.strip()]
        if len(lines) > MAX_CODE_CELL_LINES and not lines[0].startswith(LONG_CELL_REASON):
            report(
                path,
                f"cell {index} has {len(lines)} code lines (at most {MAX_CODE_CELL_LINES}): "
                f"move the lesson's code into a file shown with show_source, split it, "
                f"or start the cell with '{LONG_CELL_REASON} <why>'",
            )


def _check_exercises(nb: nbformat.NotebookNode, path: Path, out: Collector) -> None:
    report = out.error
    numbers: dict[int, int] = {}
    for index, cell in enumerate(nb.cells):
        tagged = cell.cell_type == "code" and EXERCISE_TAG in cell.metadata.get("tags", [])
        number = exercise_number(cell)
        if tagged and number is None:
            report(path, f"cell {index} is tagged exercise but lacks '# Exercise N: <title>'")
            continue
        if number is None:
            continue
        if number in numbers:
            report(path, f"exercise {number} appears twice (cells {numbers[number]}, {index})")
        numbers[number] = index
        if not _has_ellipsis(cell.source):
            report(path, f"exercise {number} (cell {index}) ships solved: leave its answers ...")
        following = nb.cells[index + 1] if index + 1 < len(nb.cells) else None
        checks = following is not None and re.search(
            rf"check_exercise\(\s*{number}\s*,", following.source
        )
        if not checks:
            report(path, f"exercise {number} (cell {index}) has no check_exercise cell after it")
        elif not any(NOT_TRIED in _text(o) for o in following.get("outputs", [])):
            report(path, f"exercise {number}'s check should store 'not tried yet' (unsolved)")
    solutions = solutions_path(path)
    if not numbers:
        if solutions.exists():
            report(solutions, "solutions for a notebook that has no exercise cells")
        return
    if not solutions.is_file():
        report(path, f"has exercises but no solutions file {solutions.name} in solutions/")
        return
    try:
        solved = read_solutions(solutions)
    except ValueError as exc:
        report(solutions, str(exc))
        return
    for number in sorted(set(numbers) - set(solved)):
        report(solutions, f"no '# %% Exercise {number}' block")
    for number in sorted(set(solved) - set(numbers)):
        report(solutions, f"exercise {number} is not in the notebook")
    sources = [cell.source for cell in nb.cells]
    for number, code in solved.items():
        body = code.strip()
        if body and any(body in source for source in sources):
            report(path, f"the notebook contains exercise {number}'s solution")


def _check_stored_outputs(nb: nbformat.NotebookNode, path: Path, out: Collector) -> None:
    report = out.error
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            match = MEMORY_ADDRESS.search(_text(output))
            if match:
                report(
                    path,
                    f"cell {index}'s stored output shows a memory address ({match.group(0)}): "
                    "display a Styler with display(HTML(styler.to_html()))",
                )
    before = len(stored_state(nb))
    kept = prune(copy.deepcopy(nb))[1]
    if before > kept:
        report(
            path,
            f"stores {before} widget models, {before - kept} of them not displayed "
            "(run make execute, which prunes them)",
        )


def _check_plots(nb: nbformat.NotebookNode, path: Path, out: Collector) -> None:
    report = out.error
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            figure = output.get("data", {}).get(PLOTLY_MIME)
            if not figure:
                continue
            layout = figure.get("layout", {})
            missing = [] if _title(layout.get("title")) else ["a title"]
            if any(t.get("type", "scatter") in CARTESIAN for t in figure.get("data", [])):
                axes = [k for k in layout if re.fullmatch(r"[xy]axis\d*", k)]
                for axis in sorted({"xaxis", "yaxis", *axes}):
                    if not _title(layout.get(axis, {}).get("title")):
                        missing.append(f"a {axis} title")
            if missing:
                report(path, f"cell {index}'s plot lacks {', '.join(missing)}")


def _title(title: object) -> str:
    if isinstance(title, dict):
        return str(title.get("text") or "").strip()
    return str(title or "").strip()


def _text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    return "".join(output.get("data", {}).get("text/plain", ""))


def _has_ellipsis(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "..." in source
    return any(isinstance(n, ast.Constant) and n.value is Ellipsis for n in ast.walk(tree))


def lint_course_totals(notebooks: list[Path], out: Collector) -> None:
    """The series and course totals in 00-start-here and README agree with the estimates."""
    start_here, readme = notebooks_dir() / "00-start-here.ipynb", repo_root() / "README.md"
    try:
        problems = totals_in_step(series_of(notebooks), start_here, readme)
    except (OSError, ValueError) as exc:
        problems = [str(exc)]
    for problem in problems:
        out.error(readme, f"{problem} (run: backend-skills estimate --write)")
