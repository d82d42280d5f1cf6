"""Execute notebooks headless with papermill and report wall time and the kernel's peak RSS.

Each notebook runs in its own worker process (`python -m backend_skills.runner NB OUT`), so
`getrusage(RUSAGE_CHILDREN)` in the worker, read after papermill has shut the kernel down,
is that notebook's kernel peak and nothing else's. Kernels run with the network guard.
"""

from __future__ import annotations

import html
import json
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from backend_skills import netguard
from backend_skills.course_map import load_course_map
from backend_skills.paths import notebooks_dir, shown_path

WALL_BUDGET_S = 60.0
RSS_BUDGET_MB = 1024.0


@dataclass
class NotebookRun:
    notebook: str
    ok: bool
    seconds: float
    peak_rss_mb: float
    error: str | None = None
    error_name: str | None = None
    offline_violations: tuple[str, ...] = ()

    @property
    def within_budget(self) -> bool:
        return self.seconds <= WALL_BUDGET_S and self.peak_rss_mb <= RSS_BUDGET_MB

    @property
    def passed(self) -> bool:
        return self.ok and not self.offline_violations


def harness(notebook: Path) -> dict:
    """The parameter sets a notebook declares for its test runs (metadata.backend_skills)."""
    return json.loads(notebook.read_text(encoding="utf-8"))["metadata"]["backend_skills"]


def discover(skills: list[str] | None = None) -> list[Path]:
    """The start notebook and every lesson notebook, in course order (or those of SKILLS)."""
    course = load_course_map()
    selected = skills or list(course.skills)
    found = [] if skills else [notebooks_dir() / "00-start-here.ipynb"]
    for name in sorted(selected, key=lambda n: course.skill(n).number):
        found += course.skill(name).notebooks()
    capstones = notebooks_dir() / "13-capstones"
    if not skills and capstones.is_dir():
        found += sorted(capstones.glob("[0-9][0-9]-*.ipynb"))
    return [path for path in found if path.is_file()]


def execute(
    notebook: Path,
    output: Path,
    parameters: dict | None = None,
    *,
    timeout_s: float = 600,
) -> NotebookRun:
    """Run one notebook in a worker process; never raises for a failing notebook."""
    output.parent.mkdir(parents=True, exist_ok=True)
    guard = netguard.kernel_environment(output.parent / f".{output.stem}.netguard")
    env = {**os.environ, **guard, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    command = [
        sys.executable,
        "-m",
        "backend_skills.runner",
        str(notebook),
        str(output),
        json.dumps(parameters or {}),
    ]
    started = time.perf_counter()
    try:
        completed = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout_s
        )
        report = json.loads(completed.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        report = {
            "ok": False,
            "peak_rss_mb": 0.0,
            "error": f"timed out after {timeout_s:.0f} s",
            "error_name": "TimeoutError",
        }
    except (json.JSONDecodeError, IndexError):
        tail = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        report = {"ok": False, "peak_rss_mb": 0.0, "error": tail, "error_name": "WorkerError"}
    seconds = time.perf_counter() - started
    return NotebookRun(
        notebook=shown_path(notebook),
        ok=report["ok"],
        seconds=round(seconds, 2),
        peak_rss_mb=round(report["peak_rss_mb"], 1),
        error=report.get("error"),
        error_name=report.get("error_name"),
        offline_violations=tuple(netguard.violations(guard)),
    )


def run_course(
    notebooks: list[Path],
    build_dir: Path,
    parameters: dict | None = None,
    *,
    jobs: int = 1,
) -> list[NotebookRun]:
    """Execute notebooks into build_dir (same relative paths) and write the report there."""
    build_dir.mkdir(parents=True, exist_ok=True)

    def one(notebook: Path) -> NotebookRun:
        output = build_dir / Path(shown_path(notebook))
        return execute(notebook, output, parameters)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        runs = list(pool.map(one, notebooks))
    write_report(runs, build_dir)
    return runs


def write_report(runs: list[NotebookRun], build_dir: Path) -> None:
    total_s = sum(run.seconds for run in runs)
    peak = max((run.peak_rss_mb for run in runs), default=0.0)
    passed = sum(run.passed for run in runs)
    rows = []
    for run in runs:
        status = "pass" if run.passed else "FAIL"
        budget = "yes" if run.within_budget else "NO"
        note = run.error or "; ".join(run.offline_violations) or ""
        rows.append(
            (
                run.notebook,
                status,
                f"{run.seconds:.1f}",
                f"{run.peak_rss_mb:.0f}",
                budget,
                note.replace("|", "\\|"),
            )
        )
    header = ("notebook", "result", "wall s", "peak RSS MB", "within budget", "error")
    lines = [
        "# Course run report",
        "",
        f"{passed} of {len(runs)} notebooks passed; total wall {total_s:.1f} s; "
        f"largest kernel peak RSS {peak:.0f} MB. Budget per notebook: "
        f"{WALL_BUDGET_S:.0f} s wall, {RSS_BUDGET_MB:.0f} MB peak RSS.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        f"| **total** | {passed}/{len(runs)} | {total_s:.1f} | {peak:.0f} (max) | "
        f"{sum(r.within_budget for r in runs)}/{len(runs)} | |",
        "",
    ]
    (build_dir / "report.md").write_text("\n".join(lines), encoding="utf-8")
    cells = "".join(
        "<tr>" + "".join(f"<td>{html.escape(value)}</td>" for value in row) + "</tr>"
        for row in rows
    )
    (build_dir / "report.html").write_text(
        "<!doctype html><meta charset=utf-8><title>Course run report</title>"
        f"<h1>Course run report</h1><p>{html.escape(lines[2])}</p><table border=1>"
        "<tr>" + "".join(f"<th>{h}</th>" for h in header) + f"</tr>{cells}</table>",
        encoding="utf-8",
    )
    (build_dir / "report.json").write_text(
        json.dumps([asdict(run) for run in runs], indent=1), encoding="utf-8"
    )


def execute_in_place(notebook: Path, *, timeout_s: float = 600) -> None:
    """Re-run a notebook top to bottom and store its outputs (what `make execute` does)."""
    import nbformat
    from nbclient import NotebookClient

    guard = netguard.kernel_environment()
    saved = {key: os.environ.get(key) for key in guard}
    os.environ.update(guard)
    try:
        nb = nbformat.read(notebook, as_version=4)
        client = NotebookClient(
            nb,
            timeout=timeout_s,
            kernel_name="python3",
            resources={"metadata": {"path": str(notebook.parent)}},
        )
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    blocked = netguard.violations(guard)
    if blocked:
        raise RuntimeError(f"{notebook}: {blocked[0]}")
    nbformat.write(nb, notebook)


def _worker(notebook: str, output: str, parameters_json: str) -> None:
    """Worker process body: run papermill, print one JSON line with the kernel's peak RSS."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    result: dict = {"ok": True, "error": None, "error_name": None}
    try:
        papermill.execute_notebook(
            notebook,
            output,
            parameters=json.loads(parameters_json),
            kernel_name="python3",
            cwd=str(Path(notebook).parent),
            progress_bar=False,
            log_output=False,
        )
    except PapermillExecutionError as exc:
        result.update(ok=False, error=f"{exc.ename}: {exc.evalue}", error_name=exc.ename)
    except Exception as exc:  # the report must say what failed, whatever it was
        result.update(
            ok=False,
            error=f"{type(exc).__name__}: {exc}".splitlines()[0],
            error_name=type(exc).__name__,
        )
    # ru_maxrss is in KiB on Linux; the kernel is this worker's only waited-for child.
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    _worker(*sys.argv[1:4])
