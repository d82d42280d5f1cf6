"""Execute notebooks headless with papermill and report wall time and the kernel's peak RSS.

Notebooks run in this process (papermill drives a kernel over ZeroMQ), each in a kernel of
its own that this module starts with the run's environment and working directory (not
this process's, so concurrent runs do not share them). The peak RSS is the kernel's VmHWM,
its high-water mark kept by Linux, read from /proc just before the kernel is shut down: a
per-kernel figure, so no worker process per notebook is needed to tell kernels apart, and
it costs one file read. Kernels run with the network guard.
"""

from __future__ import annotations

import ast
import html
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from backend_skills import netguard, widget_state
from backend_skills.course_map import load_course_map
from backend_skills.paths import notebooks_dir, shown_path

WALL_BUDGET_S = 60.0
RSS_BUDGET_MB = 1024.0

if TYPE_CHECKING:  # papermill, nbformat and jupyter_client load on first use: the CLI is quick
    import nbformat


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


def takes_database_url(notebook: Path) -> bool:
    """Whether NOTEBOOK's parameters include DATABASE_URL (it then runs on PostgreSQL too)."""
    from papermill.inspection import inspect_notebook

    return "DATABASE_URL" in inspect_notebook(str(notebook))


def peak_rss_mb(pid: int) -> float:
    """A live process's peak resident set size (VmHWM) in MB; 0.0 where /proc has none."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return 0.0


class CourseKernel:
    """A python3 kernel with the network guard, its own environment and working directory.

    `execute` and `run_until_validated` start one per run; a test can also keep one and
    pass it to `run_until_validated` for several notebooks in turn.
    """

    def __init__(self, guard_dir: Path, cwd: Path, env: dict[str, str] | None = None) -> None:
        from backend_skills.unix_socket_kernel import UnixSocketKernelManager

        self.guard = netguard.kernel_environment(guard_dir)
        self._clients: list = []
        self.manager = UnixSocketKernelManager(
            kernel_name="python3",
            # nbclient drives kernels with asyncio clients; the manager itself stays blocking.
            client_class="jupyter_client.asynchronous.AsyncKernelClient",
        )
        self.manager.client = self._client  # papermill makes its client through the manager
        self.manager.start_kernel(
            env={**os.environ, **self.guard, "PYDEVD_DISABLE_FILE_VALIDATION": "1", **(env or {})},
            cwd=str(cwd),
            # What nbclient passes when it starts a kernel: no history file, so parallel
            # kernels never contend for IPython's SQLite history.
            extra_arguments=["--HistoryManager.hist_file=:memory:"],
        )

    def _client(self, **kwargs):
        client = type(self.manager).client(self.manager, **kwargs)
        self._clients.append(client)
        return client

    def release(self, client) -> None:
        """Stop a client's channels once its run is over (the kernel stays up)."""
        client.stop_channels()
        self._clients.remove(client)

    def violations(self) -> list[str]:
        return netguard.violations(self.guard)

    def close(self) -> float:
        """Shut the kernel down; return its peak RSS in MB (read just before)."""
        peak = peak_rss_mb(self.manager.provisioner.pid) if self.manager.has_kernel else 0.0
        for client in self._clients:
            client.stop_channels()
        if self.manager.has_kernel:
            self.manager.shutdown_kernel(now=True)
        return peak


def _what_failed(exc: Exception) -> tuple[str, str]:
    """One line and a name for a failed run: the cell's error if a cell raised, else EXC's."""
    ename = getattr(exc, "ename", None)  # papermill's and nbclient's cell errors carry it
    if ename:
        return f"{ename}: {exc.evalue}", ename
    return f"{type(exc).__name__}: {exc}".splitlines()[0], type(exc).__name__


def execute(
    notebook: Path,
    output: Path,
    parameters: dict | None = None,
    *,
    source: nbformat.NotebookNode | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout_s: float = 600,
) -> NotebookRun:
    """Run one notebook top to bottom in a fresh kernel; never raises for a failing notebook.

    SOURCE is the notebook to run instead of NOTEBOOK's file (a copy with solutions in,
    say); the report still names NOTEBOOK. The kernel's working directory is CWD (default:
    NOTEBOOK's folder, where its lesson files are) and ENV is added to its environment.
    TIMEOUT_S bounds each cell.
    """
    import papermill

    output.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    error = error_name = None
    kernel = None
    try:
        guard_dir = output.parent / f".{output.stem}.netguard"
        kernel = CourseKernel(guard_dir, cwd or notebook.parent, env)
        papermill.execute_notebook(
            source if source is not None else str(notebook),
            str(output),
            parameters=parameters or {},
            kernel_name="python3",
            km=kernel.manager,
            execution_timeout=timeout_s,
            progress_bar=False,
            log_output=False,
        )
    except Exception as exc:  # the report must say what failed, whatever it was
        error, error_name = _what_failed(exc)
    peak = kernel.close() if kernel else 0.0
    return NotebookRun(
        notebook=shown_path(notebook),
        ok=error is None,
        seconds=round(time.perf_counter() - started, 2),
        peak_rss_mb=round(peak, 1),
        error=error,
        error_name=error_name,
        offline_violations=tuple(kernel.violations()) if kernel else (),
    )


def _names(source: str, ctx: type) -> set[str] | None:
    """The names SOURCE assigns (ctx ast.Store) or reads (ast.Load); None if not Python."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: count the cell as reading everything
        return None
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}


def validation_cells(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """NB cut after its validation cell: the first code cell after the parameters cells
    (the one tagged `parameters` and the `injected-parameters` cell papermill adds) that
    reads a parameter. Cells before it (imports) run too; none after it."""
    tagged = [
        index
        for index, cell in enumerate(nb.cells)
        if {"parameters", "injected-parameters"} & set(cell.metadata.get("tags", []))
    ]
    if not tagged:
        return nb
    parameters: set[str] = set()
    for index in tagged:
        parameters |= _names(nb.cells[index].source, ast.Store) or set()
    for index in range(tagged[-1] + 1, len(nb.cells)):
        cell = nb.cells[index]
        if cell.cell_type != "code":
            continue
        reads = _names(cell.source, ast.Load)
        if reads is None or reads & parameters:
            nb.cells = nb.cells[: index + 1]
            break
    return nb


# Run in a shared kernel before each notebook: a fresh namespace (user variables, Out, _)
# and the notebook's folder as cwd, so `import lesson_file` finds that notebook's files.
_FRESH_START = "%reset -f\nimport os as _os\n_os.chdir({cwd!r})\ndel _os"


def run_until_validated(
    notebook: Path,
    output: Path,
    parameters: dict,
    *,
    kernel: CourseKernel | None = None,
    timeout_s: float = 120,
) -> NotebookRun:
    """Run NOTEBOOK with PARAMETERS only up to its validation cell, or its first error.

    What a bad parameter set needs: the validation cell must stop it, and later cells would
    only cost time. KERNEL, if given, is reused (fresh namespace, NOTEBOOK's folder as cwd),
    which saves a kernel start and the imports the first cells make; else one is started.
    The output notebook holds the cells that ran, with the error, as papermill stores it.
    """
    import nbformat
    from nbclient import NotebookClient
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    output.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    own = kernel is None
    if own:
        kernel = CourseKernel(output.parent / f".{output.stem}.netguard", notebook.parent)
    seen = len(kernel.violations())
    nb = load_notebook_node(str(notebook))  # with the metadata papermill's code expects
    nb = validation_cells(parameterize_notebook(nb, parameters, kernel_name="python3"))
    client = NotebookClient(nb, km=kernel.manager, timeout=timeout_s, kernel_name="python3")
    error = error_name = None
    try:
        with client.setup_kernel():
            fresh = _FRESH_START.format(cwd=str(notebook.parent.resolve()))
            reply = client.wait_for_reply(client.kc.execute(fresh, silent=True))
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"fresh start failed: {reply['content'].get('evalue')}")
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    client.execute_cell(cell, index)
    except Exception as exc:  # the report must say what failed, whatever it was
        error, error_name = _what_failed(exc)
    finally:
        if client.kc is not None:
            kernel.release(client.kc)
    nbformat.write(nb, output)
    peak = kernel.close() if own else 0.0
    return NotebookRun(
        notebook=shown_path(notebook),
        ok=error is None,
        seconds=round(time.perf_counter() - started, 2),
        peak_rss_mb=round(peak, 1),
        error=error,
        error_name=error_name,
        offline_violations=tuple(kernel.violations()[seen:]),
    )


def check_parameters(notebooks: list[Path], build_dir: Path, parameters: dict) -> list[NotebookRun]:
    """Run each notebook that declares one of PARAMETERS up to its validation cell, in one
    kernel, until one rejects a value: a bad value is then reported in seconds, before any
    notebook runs in full."""
    from papermill.inspection import inspect_notebook

    runs = []
    kernel = CourseKernel(build_dir / ".check-parameters.netguard", build_dir)
    try:
        for notebook in notebooks:
            declared = {k: v for k, v in parameters.items() if k in inspect_notebook(str(notebook))}
            if declared:
                output = build_dir / Path(shown_path(notebook))
                runs.append(run_until_validated(notebook, output, declared, kernel=kernel))
                if runs[-1].error_name == "ParameterError":
                    break  # the same value would fail the same way in the notebooks after it
    finally:
        kernel.close()
    return runs


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
    widget_state.prune(nb)
    nbformat.write(nb, notebook)
